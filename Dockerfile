# One image for every service of the workspace; docker-compose.yml and the Kubernetes manifests pick
# the service by its command (rotation-service, user-provisioner, pd-sync-service, pagerduty-sim).
FROM python:3.11-slim AS build
RUN pip install --no-cache-dir "uv==0.13.9"
WORKDIR /app
COPY pyproject.toml uv.lock ./
COPY libs ./libs
COPY services ./services
COPY tools ./tools
# Editable installs keep each service's migrations/ folder next to its code.
RUN uv sync --all-packages --frozen --no-dev

FROM python:3.11-slim
RUN useradd --system --uid 10001 oncall
COPY --from=build /app /app
ENV PATH=/app/.venv/bin:$PATH PYTHONUNBUFFERED=1
USER 10001
WORKDIR /app
