# One image for every service of the workspace; docker-compose.yml and the Kubernetes manifests pick
# the service by its command (rotation-service, user-provisioner, pd-sync-service, pagerduty-sim).
FROM python:3.11-slim AS build
RUN pip install --no-cache-dir "uv==0.13.9"
WORKDIR /app
COPY pyproject.toml uv.lock ./
COPY libs ./libs
COPY services ./services
COPY tools ./tools
RUN uv sync --all-packages --frozen --no-dev --no-editable

FROM python:3.11-slim
RUN useradd --system --uid 10001 oncall
COPY --from=build /app/.venv /app/.venv
COPY --from=build /app/services /app/services
ENV PATH=/app/.venv/bin:$PATH PYTHONUNBUFFERED=1
USER oncall
WORKDIR /app
