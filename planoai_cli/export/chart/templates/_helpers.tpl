{{/* Written by planoai export kubernetes --helm. Values come from values.yaml, which the export generates. */}}
{{- define "plano.selector" -}}
app.kubernetes.io/name: plano
app.kubernetes.io/instance: {{ .Values.instance | quote }}
{{- end }}

{{- define "plano.labels" -}}
{{ include "plano.selector" . }}
app.kubernetes.io/managed-by: {{ .Release.Service | quote }}
{{- end }}

{{- define "plano.annotations" -}}
planoai.org/config-hash: {{ index .Chart.Annotations "planoai.org/config-hash" | quote }}
planoai.org/cli-version: {{ index .Chart.Annotations "planoai.org/cli-version" | quote }}
{{- end }}

{{/* Every listener's health path and Brightstaff's in one check (the same command as the compose health check). */}}
{{- define "plano.health" -}}
exec:
  command:
    {{- range .Values.healthCommand }}
    - {{ . | quote }}
    {{- end }}
timeoutSeconds: 3
{{- end }}
