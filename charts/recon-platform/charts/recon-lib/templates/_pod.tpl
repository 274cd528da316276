{{/*
Pieces of every pod of the release. The security settings are fixed, not
values: every image runs as uid 10001 and writes only to its emptyDirs and,
with audit.seal.backend local, to the audit segments claim.
Helpers that take (dict "service" NAME "context" $) also accept "migration"
true, which leaves out the ConfigMaps of the matcher definitions and the audit
alarm rules, because a pre-install hook runs before the chart creates them.
*/}}

{{- define "recon.pod.securityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
fsGroup: 10001
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "recon.container.securityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
readOnlyRootFilesystem: true
allowPrivilegeEscalation: false
privileged: false
capabilities:
  drop:
    - ALL
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Whether one service's pods get the /var/lib/recon data volume. Takes the service name. */}}
{{- define "recon.pod.hasDataVolume" -}}
{{- if has . (list "ingest" "keyvault") }}true{{ end -}}
{{- end -}}

{{/* Mount path of the audit segments claim when audit.seal.backend is local. */}}
{{- define "recon.pod.auditSegmentsPath" -}}
/var/lib/recon/audit-segments
{{- end -}}

{{/*
Whether the audit pods mount audit.seal.existingClaim. Takes (dict "service"
NAME "context" $). The migration Job never mounts it: a ReadWriteOnce claim
held by a running pod on another node would keep the Job from starting.
*/}}
{{- define "recon.pod.hasAuditSegmentsVolume" -}}
{{- if and (eq .service "audit") (eq .context.Values.audit.seal.backend "local") (not .migration) }}true{{ end -}}
{{- end -}}

{{/* Volumes of one service's pods. Takes (dict "service" NAME "context" $). */}}
{{- define "recon.pod.volumes" -}}
{{- $values := .context.Values -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ $values.tmpSizeLimit }}
{{- if include "recon.pod.hasDataVolume" .service }}
- name: data
  emptyDir:
    sizeLimit: {{ $values.dataSizeLimit }}
{{- end }}
{{- if $values.kafka.tls.caSecret }}
- name: kafka-ca
  secret:
    secretName: {{ $values.kafka.tls.caSecret | quote }}
    defaultMode: 0444
{{- end }}
{{- range $mount := include "recon.pod.secretMounts" . | fromYamlArray }}
- name: {{ $mount.volume }}
  secret:
    secretName: {{ $mount.secret | quote }}
    defaultMode: 0440
{{- end }}
{{- if and (eq .service "matcher") $values.matcher.definitions (not .migration) }}
- name: matcher-definitions
  configMap:
    name: {{ printf "%s-matcher-definitions" (include "recon.names.fullname" .context) }}
{{- end }}
{{- if include "recon.pod.hasAuditSegmentsVolume" . }}
- name: audit-segments
  persistentVolumeClaim:
    claimName: {{ $values.audit.seal.existingClaim | quote }}
{{- end }}
{{- if and (eq .service "audit") $values.audit.alarmRules (not .migration) }}
- name: audit-alarm-rules
  configMap:
    name: {{ printf "%s-audit-alarm-rules" (include "recon.names.fullname" .context) }}
{{- end }}
{{- end -}}

{{/*
Secret files of one service as a YAML list of {volume, secret, path}. Takes
(dict "service" NAME "context" $).
*/}}
{{- define "recon.pod.secretMounts" -}}
{{- $values := .context.Values -}}
{{- $mounts := list -}}
{{- if and (eq .service "ingest") $values.sftp.hostKey.existingSecret -}}
{{- $mounts = append $mounts (dict "volume" "sftp-host-key" "secret" $values.sftp.hostKey.existingSecret "path" "/etc/recon/sftp-host-key") -}}
{{- end -}}
{{- if and (eq .service "ingest") $values.sftp.users.existingSecret -}}
{{- $mounts = append $mounts (dict "volume" "sftp-users" "secret" $values.sftp.users.existingSecret "path" "/etc/recon/sftp-users") -}}
{{- end -}}
{{- if and (eq .service "reporting") $values.reporting.usersFile.existingSecret -}}
{{- $mounts = append $mounts (dict "volume" "reporting-users" "secret" $values.reporting.usersFile.existingSecret "path" "/etc/recon/reporting-users") -}}
{{- end -}}
{{- toYaml $mounts -}}
{{- end -}}

{{/* Volume mounts of one service's container. Takes (dict "service" NAME "context" $). */}}
{{- define "recon.container.volumeMounts" -}}
{{- $values := .context.Values -}}
- name: tmp
  mountPath: /tmp
{{- if include "recon.pod.hasDataVolume" .service }}
- name: data
  mountPath: /var/lib/recon
{{- end }}
{{- if $values.kafka.tls.caSecret }}
- name: kafka-ca
  mountPath: /etc/recon/kafka-ca
  readOnly: true
{{- end }}
{{- range $mount := include "recon.pod.secretMounts" . | fromYamlArray }}
- name: {{ $mount.volume }}
  mountPath: {{ $mount.path }}
  readOnly: true
{{- end }}
{{- if and (eq .service "matcher") $values.matcher.definitions (not .migration) }}
- name: matcher-definitions
  mountPath: /etc/recon/matcher
  readOnly: true
{{- end }}
{{- if include "recon.pod.hasAuditSegmentsVolume" . }}
- name: audit-segments
  mountPath: {{ include "recon.pod.auditSegmentsPath" .context }}
{{- end }}
{{- if and (eq .service "audit") $values.audit.alarmRules (not .migration) }}
- name: audit-alarm-rules
  mountPath: /etc/recon/audit
  readOnly: true
{{- end }}
{{- end -}}
