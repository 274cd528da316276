{{/*
Objects of one service: ServiceAccount, Service, Deployment,
PodDisruptionBudget and HorizontalPodAutoscaler.
Each takes (dict "service" NAME "context" $).
*/}}

{{- define "recon.workload.serviceAccount" -}}
{{- $svc := index .context.Values.services .service -}}
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ include "recon.names.component" . }}
  namespace: {{ .context.Release.Namespace | quote }}
  labels:
    {{- include "recon.labels.standard" . | nindent 4 }}
  {{- with $svc.serviceAccount }}
  {{- if .roleArn }}
  annotations:
    eks.amazonaws.com/role-arn: {{ .roleArn | quote }}
  {{- end }}
  {{- end }}
# The services call no Kubernetes API, so pods get no API token. IRSA mounts its
# own web identity token regardless of this setting.
automountServiceAccountToken: false
{{- end -}}

{{- define "recon.workload.service" -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "recon.names.component" . }}
  namespace: {{ .context.Release.Namespace | quote }}
  labels:
    {{- include "recon.labels.standard" . | nindent 4 }}
spec:
  type: ClusterIP
  selector:
    {{- include "recon.labels.matchLabels" . | nindent 4 }}
  ports:
    - name: http
      port: 8080
      targetPort: http
      protocol: TCP
      appProtocol: http
{{- end -}}

{{- define "recon.workload.deployment" -}}
{{- $ctx := .context -}}
{{- $values := $ctx.Values -}}
{{- $svc := index $values.services .service -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "recon.names.component" . }}
  namespace: {{ $ctx.Release.Namespace | quote }}
  labels:
    {{- include "recon.labels.standard" . | nindent 4 }}
spec:
  {{- if not $svc.autoscaling.enabled }}
  replicas: {{ $svc.replicaCount }}
  {{- end }}
  revisionHistoryLimit: 5
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxUnavailable: 0
      maxSurge: 1
  selector:
    matchLabels:
      {{- include "recon.labels.matchLabels" . | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "recon.labels.standard" . | nindent 8 }}
      {{- if and (eq .service "matcher") $values.matcher.definitions }}
      annotations:
        # Rolls the matcher pods when the definitions change.
        checksum/matcher-definitions: {{ $values.matcher.definitions | sha256sum }}
      {{- end }}
      {{- if and (eq .service "audit") $values.audit.alarmRules }}
      annotations:
        # Rolls the audit pods when the alarm rules change, because the service
        # reads them only at start-up.
        checksum/audit-alarm-rules: {{ $values.audit.alarmRules | sha256sum }}
      {{- end }}
    spec:
      serviceAccountName: {{ include "recon.names.component" . }}
      automountServiceAccountToken: false
      enableServiceLinks: false
      terminationGracePeriodSeconds: 30
      securityContext:
        {{- include "recon.pod.securityContext" . | nindent 8 }}
      {{- with $values.image.pullSecrets }}
      imagePullSecrets:
        {{- range . }}
        - name: {{ . | quote }}
        {{- end }}
      {{- end }}
      topologySpreadConstraints:
        - maxSkew: 1
          topologyKey: topology.kubernetes.io/zone
          whenUnsatisfiable: ScheduleAnyway
          labelSelector:
            matchLabels:
              {{- include "recon.labels.matchLabels" . | nindent 14 }}
      {{- with $svc.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $svc.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $svc.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      containers:
        - name: {{ .service }}
          image: {{ include "recon.images.image" . | quote }}
          imagePullPolicy: {{ $values.image.pullPolicy }}
          args:
            - serve
          ports:
            - name: http
              containerPort: 8080
              protocol: TCP
            {{- if eq .service "ingest" }}
            - name: sftp
              containerPort: 2222
              protocol: TCP
            {{- end }}
          env:
            {{- include "recon.env.service" . | nindent 12 }}
          startupProbe:
            httpGet:
              path: /healthz
              port: http
            periodSeconds: {{ $values.probes.startup.periodSeconds }}
            failureThreshold: {{ $values.probes.startup.failureThreshold }}
          livenessProbe:
            httpGet:
              path: /healthz
              port: http
            periodSeconds: {{ $values.probes.liveness.periodSeconds }}
            timeoutSeconds: {{ $values.probes.liveness.timeoutSeconds }}
            failureThreshold: {{ $values.probes.liveness.failureThreshold }}
          readinessProbe:
            httpGet:
              path: /readyz
              port: http
            periodSeconds: {{ $values.probes.readiness.periodSeconds }}
            timeoutSeconds: {{ $values.probes.readiness.timeoutSeconds }}
            failureThreshold: {{ $values.probes.readiness.failureThreshold }}
          resources:
            {{- toYaml $svc.resources | nindent 12 }}
          securityContext:
            {{- include "recon.container.securityContext" . | nindent 12 }}
          volumeMounts:
            {{- include "recon.container.volumeMounts" . | nindent 12 }}
      volumes:
        {{- include "recon.pod.volumes" . | nindent 8 }}
{{- end -}}

{{- define "recon.workload.podDisruptionBudget" -}}
{{- $svc := index .context.Values.services .service -}}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "recon.names.component" . }}
  namespace: {{ .context.Release.Namespace | quote }}
  labels:
    {{- include "recon.labels.standard" . | nindent 4 }}
spec:
  maxUnavailable: {{ $svc.podDisruptionBudget.maxUnavailable }}
  selector:
    matchLabels:
      {{- include "recon.labels.matchLabels" . | nindent 6 }}
{{- end -}}

{{- define "recon.workload.horizontalPodAutoscaler" -}}
{{- $autoscaling := (index .context.Values.services .service).autoscaling -}}
{{- if gt (int $autoscaling.minReplicas) (int $autoscaling.maxReplicas) -}}
{{- fail (printf "services.%s.autoscaling.minReplicas (%d) is greater than maxReplicas (%d); lower minReplicas or raise maxReplicas" .service (int $autoscaling.minReplicas) (int $autoscaling.maxReplicas)) -}}
{{- end -}}
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ include "recon.names.component" . }}
  namespace: {{ .context.Release.Namespace | quote }}
  labels:
    {{- include "recon.labels.standard" . | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ include "recon.names.component" . }}
  minReplicas: {{ $autoscaling.minReplicas }}
  maxReplicas: {{ $autoscaling.maxReplicas }}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ $autoscaling.targetCPUUtilizationPercentage }}
{{- end -}}

{{/*
Migration Job of one service, run before every install and upgrade. It runs
with the namespace's default ServiceAccount because the chart's ServiceAccounts
do not exist yet when a pre-install hook runs; migrations need the database
only.
*/}}
{{- define "recon.workload.migrationJob" -}}
{{- $ctx := .context -}}
{{- $values := $ctx.Values -}}
{{- $args := dict "service" .service "context" $ctx "migration" true -}}
apiVersion: batch/v1
kind: Job
metadata:
  name: {{ printf "%s-migrate" (include "recon.names.component" .) }}
  namespace: {{ $ctx.Release.Namespace | quote }}
  labels:
    {{- include "recon.labels.standard" . | nindent 4 }}
    recon.io/role: migration
  annotations:
    helm.sh/hook: pre-install,pre-upgrade
    helm.sh/hook-weight: "0"
    helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded
spec:
  backoffLimit: {{ $values.migrations.backoffLimit }}
  activeDeadlineSeconds: {{ $values.migrations.activeDeadlineSeconds }}
  template:
    metadata:
      labels:
        {{- include "recon.labels.matchLabels" (dict "service" "" "context" $ctx) | nindent 8 }}
        recon.io/role: migration
        recon.io/migrates: {{ .service }}
    spec:
      restartPolicy: Never
      automountServiceAccountToken: false
      enableServiceLinks: false
      securityContext:
        {{- include "recon.pod.securityContext" . | nindent 8 }}
      {{- with $values.image.pullSecrets }}
      imagePullSecrets:
        {{- range . }}
        - name: {{ . | quote }}
        {{- end }}
      {{- end }}
      containers:
        - name: migrate
          image: {{ include "recon.images.image" . | quote }}
          imagePullPolicy: {{ $values.image.pullPolicy }}
          args:
            - migrate
          env:
            {{- include "recon.env.service" $args | nindent 12 }}
          resources:
            {{- toYaml $values.migrations.resources | nindent 12 }}
          securityContext:
            {{- include "recon.container.securityContext" . | nindent 12 }}
          volumeMounts:
            {{- include "recon.container.volumeMounts" $args | nindent 12 }}
      volumes:
        {{- include "recon.pod.volumes" $args | nindent 8 }}
{{- end -}}
