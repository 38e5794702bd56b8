{{/* Names, labels and the pieces every workload shares. */}}

{{- define "oncall.labels" -}}
app.kubernetes.io/part-of: oncall-scheduler
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/instance: {{ .Release.Name }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "oncall.selector" -}}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/name: {{ .name }}
{{- end -}}

{{- define "oncall.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "oncall.secretName" -}}
{{- required "existingSecret is required: create the Secret first (README: Deploying on Kubernetes); secrets are never values" .Values.existingSecret -}}
{{- end -}}

{{/* The settings production refuses to run without: a clear message at render time. */}}
{{- define "oncall.requireProduction" -}}
{{- if eq .Values.environment "production" -}}
{{- $_ := required "jwt.jwksUrl is required in production (the identity provider's JWKS: the API verifies RS256 tokens)" .Values.jwt.jwksUrl -}}
{{- $_ := required "jwt.issuer is required in production" .Values.jwt.issuer -}}
{{- $_ := required "jwt.audience is required in production" .Values.jwt.audience -}}
{{- if .Values.web.enabled -}}
{{- $_ := required "web.publicUrl is required when the web UI is enabled" .Values.web.publicUrl -}}
{{- $_ := required "web.oidc.issuer is required when the web UI is enabled" .Values.web.oidc.issuer -}}
{{- $_ := required "web.oidc.clientId is required when the web UI is enabled" .Values.web.oidc.clientId -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "oncall.secretEnv" -}}
- name: {{ .env }}
  valueFrom:
    secretKeyRef:
      name: {{ include "oncall.secretName" .root }}
      key: {{ .key }}
{{- if .optional }}
      optional: true
{{- end }}
{{- end -}}

{{/* The environment of a backend service (its migrate Job uses the same). */}}
{{- define "oncall.serviceEnv" -}}
- name: ENVIRONMENT
  value: {{ .root.Values.environment | quote }}
- name: LOG_LEVEL
  value: {{ .root.Values.logLevel | quote }}
- name: KAFKA_BOOTSTRAP_SERVERS
  value: {{ .root.Values.kafka.bootstrapServers | quote }}
- name: KAFKA_TOPIC_PREFIX
  value: {{ .root.Values.kafka.topicPrefix | quote }}
- name: SHUTDOWN_GRACE_SECONDS
  value: {{ .root.Values.shutdownGraceSeconds | quote }}
{{- with .root.Values.otel.endpoint }}
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ . | quote }}
{{- end }}
{{- with .root.Values.pagerduty.baseUrl }}
- name: PAGERDUTY_BASE_URL
  value: {{ . | quote }}
{{- end }}
- name: {{ .service.hostEnv }}
  value: "0.0.0.0"
- name: {{ .service.portEnv }}
  value: {{ .service.port | quote }}
{{ include "oncall.secretEnv" (dict "root" .root "env" "DATABASE_URL" "key" (get .root.Values.secretKeys .service.databaseUrlKey)) }}
{{ include "oncall.secretEnv" (dict "root" .root "env" "CREDENTIAL_KEYS" "key" .root.Values.secretKeys.credentialKeys) }}
{{- if eq .service.name "rotation-service" }}
- name: JWT_JWKS_URL
  value: {{ .root.Values.jwt.jwksUrl | quote }}
- name: JWT_ISSUER
  value: {{ .root.Values.jwt.issuer | quote }}
- name: JWT_AUDIENCE
  value: {{ .root.Values.jwt.audience | quote }}
{{- end }}
{{- end -}}

{{- define "oncall.podSpecCommon" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
automountServiceAccountToken: false
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{- define "oncall.probes" -}}
livenessProbe:
  httpGet: {path: /healthz, port: http}
  periodSeconds: 10
  timeoutSeconds: 3
readinessProbe:
  httpGet: {path: /readyz, port: http}
  periodSeconds: 5
  timeoutSeconds: 3
startupProbe:
  httpGet: {path: /healthz, port: http}
  periodSeconds: 2
  failureThreshold: 60
{{- end -}}

{{/* Every backend service, the web UI included, as (key, definition) for the templates to range over. */}}
{{- define "oncall.workloads" -}}
{{- $all := dict -}}
{{- range $key, $service := .Values.services -}}
{{- $_ := set $all $service.name (dict "port" $service.port "replicas" $service.replicas "resources" $service.resources "backend" true) -}}
{{- end -}}
{{- if .Values.web.enabled -}}
{{- $_ := set $all "oncall-web" (dict "port" 8083 "replicas" .Values.webReplicas "resources" .Values.webResources "backend" false) -}}
{{- end -}}
{{- toJson $all -}}
{{- end -}}

{{/* An egress rule to a dependency given by pod/namespace selectors and/or CIDRs. */}}
{{- define "oncall.egressTo" -}}
- ports:
    - {port: {{ .peer.port }}, protocol: TCP}
  to:
    {{- if or .peer.podSelector .peer.namespaceSelector (not .peer.cidrs) }}
    - podSelector:
        {{- toYaml (.peer.podSelector | default dict) | nindent 8 }}
      namespaceSelector:
        {{- toYaml (.peer.namespaceSelector | default dict) | nindent 8 }}
    {{- end }}
    {{- range .peer.cidrs }}
    - ipBlock: {cidr: {{ . | quote }}}
    {{- end }}
{{- end -}}
