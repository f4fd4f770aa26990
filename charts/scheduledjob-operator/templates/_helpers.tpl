{{/* The chart's name. */}}
{{- define "scheduledjob-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The release's full name, used for every object the chart makes. */}}
{{- define "scheduledjob-operator.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else if contains .Chart.Name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{/* Labels that select the operator Pods; never change them on upgrade. */}}
{{- define "scheduledjob-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "scheduledjob-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Labels on every object. */}}
{{- define "scheduledjob-operator.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "scheduledjob-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* The operator's ServiceAccount name. */}}
{{- define "scheduledjob-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "scheduledjob-operator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The image reference. */}}
{{- define "scheduledjob-operator.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* The default image of job Pods (SCHEDULEDJOB_DEFAULT_IMAGE). */}}
{{- define "scheduledjob-operator.jobImage" -}}
{{- printf "%s:%s" .Values.jobImage.repository (default .Chart.AppVersion .Values.jobImage.tag) }}
{{- end }}

{{/* The rules the operator needs in a namespace it watches (shared by both RBAC modes). */}}
{{- define "scheduledjob-operator.watchRules" -}}
- apiGroups: [jobs.connectflow.io]
  resources: [scheduledjobs]
  # delete: a one-shot with ttlSecondsAfterRun deletes itself after its run.
  verbs: [get, list, watch, delete]
- apiGroups: [jobs.connectflow.io]
  resources: [scheduledjobs/status]
  verbs: [patch]
- apiGroups: [jobs.connectflow.io]
  resources: [scheduledjobs/finalizers]
  verbs: [update]
- apiGroups: [batch]
  resources: [cronjobs]
  # delete: a ScheduledJob changed from a schedule to runAt or delay loses its CronJob.
  verbs: [get, list, watch, create, update, delete]
# Triggered runs are owned by the CronJob, with blockOwnerDeletion.
- apiGroups: [batch]
  resources: [cronjobs/finalizers]
  verbs: [update]
- apiGroups: [batch]
  resources: [jobs]
  # create: triggered, one-shot and operator-started runs; delete: concurrencyPolicy Replace
  # stops the active run, and the history limits of operator-started runs.
  verbs: [list, watch, create, delete]
- apiGroups: [""]
  resources: [pods]
  verbs: [list]
- apiGroups: [""]
  resources: [events]
  verbs: [create]
{{- end }}
