# The hub image for deploy/k8s/values.yaml (`hub.image`): the Zero to JupyterHub hub, plus partyquiz,
# whose `exchange` service and Chinese hub pages run inside the hub pod. See docs/deploy.md §3.
#
#   make wheelhouse                       # wheels of partyquiz and all its dependencies → wheelhouse/
#   .venv/bin/pip download -d wheelhouse "jupyterhub-kubespawner>=7" jupyterhub-ldapauthenticator \
#       oauthenticator pycurl             # what the chart's own hub image adds (once, on a connected machine)
#   docker build -f deploy/k8s/hub.Dockerfile -t registry.example.org/partyquiz/hub:0.1.0 .
#   docker push registry.example.org/partyquiz/hub:0.1.0
#
# Python 3.11: partyquiz requires it (pyproject.toml), so this does not start FROM the chart's
# k8s-hub image. JUPYTERHUB_VERSION must be the chart's appVersion (`helm show chart
# jupyterhub/jupyterhub`); partyquiz accepts JupyterHub 5 and 6.
FROM python:3.11-slim-bookworm
ARG JUPYTERHUB_VERSION=5.3.0
ENV LANG=C.UTF-8 PYTHONUNBUFFERED=1
RUN apt-get update && apt-get install -y --no-install-recommends tini libcurl4 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 1000 jovyan \
    && mkdir -p /srv/jupyterhub /srv/exchange-service && chown 1000:1000 /srv/jupyterhub /srv/exchange-service
COPY wheelhouse /tmp/wheelhouse
RUN pip install --no-cache-dir --no-index --find-links /tmp/wheelhouse \
        partyquiz "jupyterhub==${JUPYTERHUB_VERSION}" jupyterhub-kubespawner jupyterhub-ldapauthenticator \
        oauthenticator jupyterhub-idle-culler psycopg2-binary pycurl \
    && rm -rf /tmp/wheelhouse \
    && python -c "import partyquiz.exchange.service, partyquiz.hub.frame, kubespawner"
WORKDIR /srv/jupyterhub
USER 1000
ENTRYPOINT ["tini", "--"]
# the chart mounts its jupyterhub_config.py and z2jh.py here and runs this command itself
CMD ["jupyterhub", "--config", "/usr/local/etc/jupyterhub/jupyterhub_config.py"]
