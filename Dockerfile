# ocpi-hub: the hub and its peer simulators in one image (`ocpi-hub serve`, `ocpi-hub simulate`).
# docker-compose.yml runs the `make demo` topology from it, against a PostgreSQL service.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml README.md ./
COPY ocpi_hub ./ocpi_hub
COPY conformance ./conformance
RUN pip install . \
    && useradd --create-home --uid 1000 ocpi \
    && mkdir -p /app/.ocpi-hub/demo \
    && chown -R ocpi /app/.ocpi-hub

# PostgreSQL (embedded, when no OCPI_HUB_DATABASE_URL is set) refuses to run as root.
USER ocpi
ENV OCPI_HUB_HOST=0.0.0.0
EXPOSE 8080 9101 9102 9103 9104
CMD ["ocpi-hub", "serve"]
