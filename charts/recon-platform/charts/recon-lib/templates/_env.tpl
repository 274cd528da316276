{{/*
Environment of one service's container, shared by its Deployment and its
migration Job. Takes (dict "service" NAME "context" $).
Settings use the service's own prefix, such as INGEST_BANK_ID. Secrets come
from existing Secrets through secretKeyRef and never from values.
*/}}
{{- define "recon.env.service" -}}
{{- $ctx := .context -}}
{{- $name := .service -}}
{{- $values := $ctx.Values -}}
{{- $svc := index $values.services $name -}}
{{- $prefix := include "recon.env.prefix" $name -}}
{{- $fullname := include "recon.names.fullname" $ctx -}}
- name: {{ $prefix }}ENVIRONMENT
  value: {{ $values.environment | quote }}
- name: {{ $prefix }}BANK_ID
  value: {{ $values.bankId | quote }}
- name: {{ $prefix }}HTTP_HOST
  value: "0.0.0.0"
- name: {{ $prefix }}HTTP_PORT
  value: "8080"
- name: {{ $prefix }}LOG_FORMAT
  value: json
- name: {{ $prefix }}LOG_LEVEL
  value: {{ $values.logLevel | quote }}
- name: {{ $prefix }}DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ $values.database.existingSecret | quote }}
      key: {{ $svc.databaseUrlKey | quote }}
- name: {{ $prefix }}KAFKA_BOOTSTRAP_SERVERS
  value: {{ $values.kafka.bootstrapServers | quote }}
- name: {{ $prefix }}KAFKA_SECURITY_PROTOCOL
  value: {{ $values.kafka.securityProtocol | quote }}
{{- if $values.kafka.topicPrefix }}
- name: {{ $prefix }}KAFKA_TOPIC_PREFIX
  value: {{ $values.kafka.topicPrefix | quote }}
{{- end }}
{{- if hasPrefix "SASL_" $values.kafka.securityProtocol }}
- name: {{ $prefix }}KAFKA_SASL_MECHANISM
  value: {{ $values.kafka.sasl.mechanism | quote }}
- name: {{ $prefix }}KAFKA_SASL_USERNAME
  value: {{ $values.kafka.sasl.username | quote }}
- name: {{ $prefix }}KAFKA_SASL_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $values.kafka.sasl.existingSecret | quote }}
      key: {{ $values.kafka.sasl.passwordKey | quote }}
{{- end }}
{{- if $values.kafka.tls.caSecret }}
- name: {{ $prefix }}KAFKA_SSL_CAFILE
  value: {{ printf "/etc/recon/kafka-ca/%s" $values.kafka.tls.caKey | quote }}
{{- end }}
- name: {{ $prefix }}KEYVAULT_URL
  value: {{ printf "http://%s-keyvault:8080" $fullname | quote }}
- name: {{ $prefix }}SERVICE_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ $values.appSecrets.existingSecret | quote }}
      key: {{ printf "%s%s" $values.appSecrets.serviceTokenKeyPrefix $name | quote }}
{{- /* NOTE: REPORTING_MATCHER_URL follows the KEYVAULT_URL pattern, but no settings class reads it yet. */}}
{{- range $callee := list "ingest" "matcher" "reporting" "audit" }}
{{- if has $name (index $values.services $callee).allowedCallers }}
- name: {{ $prefix }}{{ upper $callee }}_URL
  value: {{ printf "http://%s-%s:8080" $fullname $callee | quote }}
{{- end }}
{{- end }}
{{- if $values.aws.region }}
- name: AWS_REGION
  value: {{ $values.aws.region | quote }}
- name: AWS_DEFAULT_REGION
  value: {{ $values.aws.region | quote }}
{{- end }}
- name: OTEL_SERVICE_NAME
  value: {{ printf "recon-%s" $name | quote }}
- name: OTEL_RESOURCE_ATTRIBUTES
  value: {{ printf "deployment.environment=%s,recon.bank_id=%s" $values.environment $values.bankId | quote }}
{{- if $values.observability.otlpEndpoint }}
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ $values.observability.otlpEndpoint | quote }}
{{- else }}
{{- /* Without a collector, the SDK's default exporter would retry localhost:4317. */}}
- name: OTEL_TRACES_EXPORTER
  value: none
{{- end }}
{{- if eq $name "ingest" }}
- name: INGEST_SFTP_HOST
  value: "0.0.0.0"
- name: INGEST_SFTP_PORT
  value: "2222"
- name: INGEST_SFTP_ROOT
  value: /var/lib/recon/sftp
- name: INGEST_SFTP_HOST_KEY
  {{- if $values.sftp.hostKey.existingSecret }}
  value: {{ printf "/etc/recon/sftp-host-key/%s" $values.sftp.hostKey.key | quote }}
  {{- else }}
  value: /var/lib/recon/sftp-host-key
  {{- end }}
{{- if $values.sftp.users.existingSecret }}
- name: INGEST_SFTP_USERS_FILE
  value: {{ printf "/etc/recon/sftp-users/%s" $values.sftp.users.key | quote }}
{{- end }}
{{- if $values.aws.s3Bucket }}
- name: INGEST_STORAGE_BACKEND
  value: s3
- name: INGEST_S3_BUCKET
  value: {{ $values.aws.s3Bucket | quote }}
- name: INGEST_S3_PREFIX
  value: {{ default (printf "%s/" $values.bankId) $values.aws.s3Prefix | quote }}
{{- if $values.aws.region }}
- name: INGEST_S3_REGION
  value: {{ $values.aws.region | quote }}
{{- end }}
{{- else }}
- name: INGEST_STORAGE_BACKEND
  value: local
- name: INGEST_STORAGE_PATH
  value: /var/lib/recon/objects
{{- end }}
{{- if $values.aws.kmsKeyArn }}
- name: INGEST_KMS_KEY_ARN
  value: {{ $values.aws.kmsKeyArn | quote }}
{{- end }}
{{- end }}
{{- if eq $name "keyvault" }}
- name: KEYVAULT_SERVICE_TOKENS
  valueFrom:
    secretKeyRef:
      name: {{ $values.appSecrets.existingSecret | quote }}
      key: {{ $values.appSecrets.keyvaultServiceTokensKey | quote }}
{{- if $values.aws.kmsKeyArn }}
- name: KEYVAULT_BACKEND
  value: aws-kms
- name: KEYVAULT_KMS_KEY_ARN
  value: {{ $values.aws.kmsKeyArn | quote }}
{{- else }}
- name: KEYVAULT_BACKEND
  value: local
- name: KEYVAULT_KEYRING_PATH
  value: /var/lib/recon/keyring
- name: KEYVAULT_MASTER_KEY
  valueFrom:
    secretKeyRef:
      name: {{ $values.appSecrets.existingSecret | quote }}
      key: {{ $values.appSecrets.keyvaultMasterKeyKey | quote }}
{{- end }}
{{- end }}
{{- if eq $name "matcher" }}
{{- if and $values.matcher.definitions (not .migration) }}
- name: MATCHER_DEFINITIONS_FILE
  value: /etc/recon/matcher/reconciliations.yaml
{{- end }}
{{- end }}
{{- if and (eq $name "audit") $values.audit.alarmRules (not .migration) }}
- name: AUDIT_ALARM_RULES_FILE
  value: /etc/recon/audit/alarms.yaml
{{- end }}
{{- if and (eq $name "audit") (not .migration) }}
{{ include "recon.env.auditSeal" $ctx }}
{{- end }}
{{- if eq $name "reporting" }}
- name: REPORTING_ALLOWED_CIDRS
  value: {{ join "," $values.allowedClientCidrs | quote }}
- name: REPORTING_TRUSTED_PROXIES
  value: {{ join "," $values.reporting.trustedProxies | quote }}
- name: REPORTING_SESSION_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ $values.appSecrets.existingSecret | quote }}
      key: {{ $values.appSecrets.reportingSessionSecretKey | quote }}
{{- if $values.reporting.usersFile.existingSecret }}
- name: REPORTING_USERS_FILE
  value: {{ printf "/etc/recon/reporting-users/%s" $values.reporting.usersFile.key | quote }}
{{- end }}
{{- end }}
{{- with $svc.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}


{{/*
Sealing settings of the audit container (AUDIT_SEAL_*). Takes the root
context. Fails the render when the chosen backend lacks a setting, because the
service would otherwise stop at start-up or write to its read-only root
filesystem. The migration Job leaves them out: `migrate` does not seal.
*/}}
{{- define "recon.env.auditSeal" -}}
{{- $values := .Values -}}
{{- $seal := $values.audit.seal -}}
- name: AUDIT_SEAL_BACKEND
  value: {{ $seal.backend | quote }}
{{- if ne $seal.backend "none" }}
- name: AUDIT_SEAL_EVERY_ENTRIES
  value: {{ $seal.everyEntries | int | quote }}
- name: AUDIT_SEAL_AFTER_MINUTES
  value: {{ $seal.afterMinutes | toString | quote }}
- name: AUDIT_SEAL_RETENTION_DAYS
  value: {{ $seal.retentionDays | int | quote }}
{{- end }}
{{- if eq $seal.backend "s3" }}
{{- $region := default $values.aws.region $seal.region -}}
{{- $kmsKeyArn := default $values.aws.kmsKeyArn $seal.kmsKeyArn -}}
{{- if not $seal.bucket }}
{{- fail "audit.seal.backend is s3 but audit.seal.bucket is empty; name an S3 bucket created with Object Lock enabled, or set audit.seal.backend to local with audit.seal.existingClaim" }}
{{- end }}
{{- if not $region }}
{{- fail "audit.seal.backend is s3 but neither audit.seal.region nor aws.region is set; set the region of the sealing bucket" }}
{{- end }}
{{- if not $kmsKeyArn }}
{{- fail "audit.seal.backend is s3 but neither audit.seal.kmsKeyArn nor aws.kmsKeyArn is set; name the KMS key that encrypts the sealed segments" }}
{{- end }}
- name: AUDIT_SEAL_S3_BUCKET
  value: {{ $seal.bucket | quote }}
{{- if $seal.prefix }}
- name: AUDIT_SEAL_S3_PREFIX
  value: {{ $seal.prefix | quote }}
{{- end }}
- name: AUDIT_SEAL_S3_REGION
  value: {{ $region | quote }}
{{- if $seal.endpoint }}
- name: AUDIT_SEAL_S3_ENDPOINT_URL
  value: {{ $seal.endpoint | quote }}
{{- end }}
- name: AUDIT_SEAL_KMS_KEY_ARN
  value: {{ $kmsKeyArn | quote }}
{{- end }}
{{- if eq $seal.backend "local" }}
{{- if not $seal.existingClaim }}
{{- fail "audit.seal.backend is local but audit.seal.existingClaim is empty; name an existing PersistentVolumeClaim for the sealed segments (an emptyDir would lose them with the pod), or use backend s3" }}
{{- end }}
- name: AUDIT_SEAL_STORAGE_PATH
  value: {{ include "recon.pod.auditSegmentsPath" . | quote }}
{{- end }}
{{- end -}}
