# NEXO's image. Stage 1 builds the wheels (NEXO's and every dependency's); the final
# stage installs them into a virtual environment on a clean slim base: no compilers, no
# build tools, no pip, a non-root user. `nexo` is the entry point and the command its
# argument:
#   docker build -t nexo .
#   docker run --rm nexo --help
#   docker run --rm -p 3000:3000 nexo serve --demo --host 0.0.0.0   # embedded PostgreSQL
# compose.yml runs it as migrate job, subgraphs, router and worker.
#
# PYTHON_IMAGE: any Debian-based image with Python 3.11+ and its venv module. The default
# is Docker Hub's official slim image; .ci/image builds a stand-in from Debian's packages
# where Docker Hub cannot be reached.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
# Compilers for any dependency without a wheel for this platform; they stay in this stage.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml README.md alembic.ini hatch_build.py ./
COPY alembic ./alembic
COPY shared ./shared
COPY subgraphs ./subgraphs
COPY router ./router
COPY nexo ./nexo
# The optional `ca` secret is a CA bundle for builders behind a TLS-inspecting proxy.
RUN --mount=type=secret,id=ca,required=false \
    if [ -s /run/secrets/ca ]; then export PIP_CERT=/run/secrets/ca; fi \
 && python3 -m venv /opt/build \
 && /opt/build/bin/pip wheel --wheel-dir /wheels .

FROM ${PYTHON_IMAGE} AS final
LABEL org.opencontainers.image.title="NEXO" \
      org.opencontainers.image.description="NEXO ERP: a federated GraphQL backend"
ENV PATH=/opt/nexo/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    NEXO_DATA_DIR=/var/lib/nexo \
    NEXO_HEALTH_PORT=3000
RUN groupadd --system --gid 10001 nexo \
 && useradd --system --uid 10001 --gid nexo --home-dir /var/lib/nexo --create-home \
      --shell /usr/sbin/nologin nexo
# Installed from stage 1's wheels only (no index), then pip itself is removed.
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    python3 -m venv /opt/nexo \
 && /opt/nexo/bin/pip install --no-cache-dir --no-index --find-links /wheels nexo \
 && /opt/nexo/bin/pip uninstall --yes pip \
 && python3 -m nexo.supergraph --url 'http://{name}:{port}/graphql' \
      --output /opt/nexo/supergraph.graphql
# The composed supergraph above names each subgraph by its compose service name; the
# router serves it (`nexo router --supergraph /opt/nexo/supergraph.graphql`), and so can
# Hive Gateway or Apollo Router (docs/scaling.md).
USER 10001:10001
WORKDIR /var/lib/nexo
EXPOSE 3000 3001 3002 3003 3004 3005 3006 3007
# Every NEXO HTTP process answers /health; NEXO_HEALTH_PORT says which port this one uses.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python3", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health' % os.environ.get('NEXO_HEALTH_PORT', '3000'), timeout=4)"]
ENTRYPOINT ["nexo"]
CMD ["serve", "--host", "0.0.0.0"]
