{{/* Names of the platform's services, in the order their objects are rendered. */}}
{{- define "recon-platform.serviceNames" -}}
ingest matcher reporting keyvault audit
{{- end -}}
