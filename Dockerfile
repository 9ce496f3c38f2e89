# One image for every Dagster process of the deployment (docker-compose.yml): the user-code
# gRPC server (which also runs each lead's run), the webserver, the daemon and the one-shot
# migration. Versions come from constraints.txt, the set the tests ran against.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DAGSTER_HOME=/opt/dagster/dagster_home \
    DBT_SEND_ANONYMOUS_USAGE_STATS=false

WORKDIR /opt/salesagent

# Dependencies first, in a layer of their own: a code change does not reinstall them.
COPY pyproject.toml constraints.txt ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > requirements.txt \
    && pip install -c constraints.txt -r requirements.txt

COPY README.md ./
COPY salesagent_dagster ./salesagent_dagster
RUN pip install --no-deps . && rm -rf build *.egg-info

# dbt_outreach beside the installed package, its manifest prepared here (the code location
# reads it and never parses on load); dbt writes each build's files to a temporary directory.
COPY dbt_outreach ./dbt_outreach
ENV SALESAGENT_DBT_PROJECT_DIR=/opt/salesagent/dbt_outreach
RUN dbt parse --quiet --project-dir dbt_outreach --profiles-dir dbt_outreach --target-path target

# A non-root user owns DAGSTER_HOME (run storage, the compute-log staging directory); the
# instance and workspace files stay root-owned and read-only.
RUN useradd --system --uid 10001 --create-home --home-dir /home/salesagent salesagent \
    && mkdir -p "$DAGSTER_HOME/storage" \
    && chown -R salesagent "$DAGSTER_HOME" /opt/salesagent/dbt_outreach
COPY deploy/production/dagster.yaml deploy/production/workspace.yaml $DAGSTER_HOME/

USER salesagent
WORKDIR $DAGSTER_HOME
EXPOSE 3000 4000

# The user-code server by default; docker-compose.yml gives each service its own command.
CMD ["dagster", "code-server", "start", "-h", "0.0.0.0", "-p", "4000", \
     "-m", "salesagent_dagster.definitions", "--location-name", "salesagent_dagster"]
