{{/*
Names and labels, after the bitnami "common" chart's helper names.
Every helper takes the root context unless its comment says otherwise.
*/}}

{{/* Chart name, or nameOverride. */}}
{{- define "recon.names.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 40 | trimSuffix "-" -}}
{{- end -}}

{{/* "<release>-<chart>" prefix of every object name, at most 40 characters. */}}
{{- define "recon.names.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Name of one service's objects. Takes (dict "service" NAME "context" $). */}}
{{- define "recon.names.component" -}}
{{- printf "%s-%s" (include "recon.names.fullname" .context) .service -}}
{{- end -}}

{{/* "chart-version" value of the helm.sh/chart label. */}}
{{- define "recon.names.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels of every object. Takes (dict "service" NAME "context" $), where service may be empty. */}}
{{- define "recon.labels.standard" -}}
{{- $ctx := .context -}}
helm.sh/chart: {{ include "recon.names.chart" $ctx }}
{{ include "recon.labels.matchLabels" . }}
app.kubernetes.io/version: {{ $ctx.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ $ctx.Release.Service }}
app.kubernetes.io/part-of: recon-platform
recon.io/bank-id: {{ $ctx.Values.bankId | quote }}
{{- with $ctx.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Selector labels. Takes (dict "service" NAME "context" $), where service may be empty. */}}
{{- define "recon.labels.matchLabels" -}}
app.kubernetes.io/name: {{ include "recon.names.name" .context }}
app.kubernetes.io/instance: {{ .context.Release.Name }}
{{- if .service }}
app.kubernetes.io/component: {{ .service }}
{{- end }}
{{- end -}}

{{/* Image reference of one service. Takes (dict "service" NAME "context" $). */}}
{{- define "recon.images.image" -}}
{{- $ctx := .context -}}
{{- $image := (index $ctx.Values.services .service).image -}}
{{- $repository := $image.repository -}}
{{- if $ctx.Values.image.registry -}}
{{- $repository = printf "%s/%s" (trimSuffix "/" $ctx.Values.image.registry) $image.repository -}}
{{- end -}}
{{- $tag := default $ctx.Chart.AppVersion $image.tag -}}
{{- if hasPrefix "sha256:" $tag -}}
{{- printf "%s@%s" $repository $tag -}}
{{- else -}}
{{- printf "%s:%s" $repository $tag -}}
{{- end -}}
{{- end -}}

{{/* Environment variable prefix of one service, such as "INGEST_". Takes the service name. */}}
{{- define "recon.env.prefix" -}}
{{- printf "%s_" (upper .) -}}
{{- end -}}
