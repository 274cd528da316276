{{/* Names of the platform's services, in the order their objects are rendered. */}}
{{- define "recon-platform.serviceNames" -}}
ingest matcher reporting keyvault audit
{{- end -}}


{{/*
Services whose pods may call one service's HTTP port, as a YAML list. Takes
(dict "service" NAME "context" $). Adds audit to the keyvault callers when
audit.seal.backend is local, because that backend encrypts each segment with a
data key from the key broker.
*/}}
{{- define "recon-platform.allowedCallers" -}}
{{- $values := .context.Values -}}
{{- $callers := (index $values.services .service).allowedCallers -}}
{{- if and (eq .service "keyvault") (eq $values.audit.seal.backend "local") -}}
{{- $callers = append $callers "audit" | uniq -}}
{{- end -}}
{{- toYaml $callers -}}
{{- end -}}

{{/*
Whether one service's pods reach AWS on TCP 443 through aws.egressCidrs. Takes
(dict "service" NAME "context" $). Ingest and keyvault always do, and audit does
when it seals to S3.
*/}}
{{- define "recon-platform.hasAwsEgress" -}}
{{- $values := .context.Values -}}
{{- $services := list "ingest" "keyvault" -}}
{{- if eq $values.audit.seal.backend "s3" -}}
{{- $services = append $services "audit" -}}
{{- end -}}
{{- if and (has .service $services) $values.aws.egressCidrs }}true{{ end -}}
{{- end -}}
