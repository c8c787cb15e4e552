{{- define "dt.name" -}}{{ .Release.Name }}-distributed-trainer{{- end -}}

{{- define "dt.labels" -}}
app.kubernetes.io/name: distributed-trainer
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end -}}

{{- define "dt.clusterTokenEnv" -}}
{{- if .Values.auth.existingSecret }}
- name: DT_CLUSTER_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ .Values.auth.existingSecret }}
      key: {{ .Values.auth.clusterTokenKey }}
{{- end }}
{{- end -}}

{{- define "dt.clientTokenEnv" -}}
{{- if .Values.auth.existingSecret }}
- name: DT_CLIENT_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ .Values.auth.existingSecret }}
      key: {{ .Values.auth.clientTokenKey }}
{{- end }}
{{- end -}}

{{- define "dt.commonEnv" -}}
{{- include "dt.clusterTokenEnv" . }}
{{- if .Values.otlpEndpoint }}
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ .Values.otlpEndpoint | quote }}
{{- end }}
{{- end -}}

{{- define "dt.dataVolume" -}}
- name: data
{{- if .Values.data.existingClaim }}
  persistentVolumeClaim:
    claimName: {{ .Values.data.existingClaim }}
    readOnly: true
{{- else }}
  emptyDir: {}
{{- end }}
{{- end -}}
