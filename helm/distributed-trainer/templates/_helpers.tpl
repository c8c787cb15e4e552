{{- define "dt.name" -}}{{ .Release.Name }}-distributed-trainer{{- end -}}

{{- define "dt.labels" -}}
app.kubernetes.io/name: distributed-trainer
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* The selector of one component: stable across upgrades, so it never names the version. */}}
{{- define "dt.selector" -}}
app.kubernetes.io/name: distributed-trainer
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* The claim that holds the data sets; without it every job would fail at its first read, so rendering stops here. */}}
{{- define "dt.dataClaim" -}}
{{- required "data.existingClaim is required: the name of an existing PersistentVolumeClaim (ReadOnlyMany) holding the data sets, mounted read-only at data.mountPath in every pod (e.g. --set data.existingClaim=trainer-datasets; see README, Deploy on Kubernetes)" .Values.data.existingClaim -}}
{{- end -}}

{{- define "dt.dataVolume" -}}
- name: data
  persistentVolumeClaim:
    claimName: {{ include "dt.dataClaim" . }}
    readOnly: true
{{- end -}}

{{/* A token from auth.existingSecret: (dict "root" . "variable" NAME "key" KEY). */}}
{{- define "dt.tokenEnv" -}}
- name: {{ .variable }}
  valueFrom:
    secretKeyRef:
      name: {{ .root.Values.auth.existingSecret }}
      key: {{ .key }}
{{- end -}}

{{/* The processes need no privilege: they serve unprivileged ports and write only their volumes. */}}
{{- define "dt.containerSecurityContext" -}}
allowPrivilegeEscalation: false
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "dt.podSpecCommon" -}}
securityContext: {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.image.pullSecrets }}
imagePullSecrets: {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}
