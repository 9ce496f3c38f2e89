"""Starting a lead's run through the Dagster webserver's GraphQL API, from outside Dagster.

The edge takes pushed submissions and must start their runs without waiting for the sensor's
next pass. It has no workspace of its own, so it asks the webserver, the one process that
has: first the lead's dynamic partition (`addDynamicPartition`), then the run itself
(dagster-graphql's `submit_job_execution`), tagged as the sensor tags its runs (partition and
run key = the partition key), so the sensor sees the run and never requests a second. The
run goes through the instance's run coordinator like any other (queue limits apply).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from dagster_graphql import DagsterGraphQLClient, DagsterGraphQLClientError

from salesagent_dagster.resources.errors import PermanentServiceError, TransientServiceError

SERVICE = "Dagster webserver"
REPOSITORY_NAME = "__repository__"  # the name Dagster gives a Definitions object's repository

_ADD_PARTITION = """
mutation AddLeadPartition(
  $repositorySelector: RepositorySelector!, $partitionsDefName: String!, $partitionKey: String!
) {
  addDynamicPartition(
    repositorySelector: $repositorySelector,
    partitionsDefName: $partitionsDefName,
    partitionKey: $partitionKey
  ) {
    __typename
    ... on PythonError { message }
    ... on UnauthorizedError { message }
  }
}
"""
# A partition another process added first is as good as ours.
_ADDED = ("AddDynamicPartitionSuccess", "DuplicateDynamicPartitionError")

_RUN_SLOTS = """
query RunSlots {
  instance { runQueueConfig { maxConcurrentRuns } }
  runsOrError(filter: {statuses: [QUEUED, NOT_STARTED, STARTING, STARTED]}) {
    __typename
    ... on Runs { count }
  }
}
"""


class DagsterWebserverClient:
    def __init__(self, url: str, location_name: str, timeout_seconds: int = 15) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(
                f"the Dagster webserver URL must be http(s)://host[:port], not {url!r}"
            )
        self.location_name = location_name
        self._client = DagsterGraphQLClient(
            parts.hostname,
            port_number=parts.port,
            use_https=parts.scheme == "https",
            timeout=timeout_seconds,
            path_prefix=parts.path.rstrip("/"),
        )

    def add_partition(self, partitions_name: str, key: str) -> None:
        selector = {"repositoryLocationName": self.location_name, "repositoryName": REPOSITORY_NAME}
        try:
            answer = self._client._execute(  # dagster-graphql has no public call for this one
                _ADD_PARTITION,
                {
                    "repositorySelector": selector,
                    "partitionsDefName": partitions_name,
                    "partitionKey": key,
                },
            )
        except DagsterGraphQLClientError as exc:
            raise TransientServiceError(SERVICE, f"addDynamicPartition failed: {exc}") from exc
        result = answer["addDynamicPartition"]
        if result["__typename"] not in _ADDED:
            raise PermanentServiceError(
                SERVICE, f"addDynamicPartition: {result['__typename']}: {result.get('message')}"
            )

    def free_run_slots(self) -> int | None:
        """Runs the instance's queue would start now beside those in flight; None when the
        queue sets no limit or the webserver's answer does not say."""
        try:
            answer = self._client._execute(_RUN_SLOTS)  # no public call for these either
        except DagsterGraphQLClientError as exc:
            raise TransientServiceError(SERVICE, f"reading the run queue failed: {exc}") from exc
        config = (answer.get("instance") or {}).get("runQueueConfig") or {}
        runs = answer.get("runsOrError") or {}
        limit, busy = config.get("maxConcurrentRuns"), runs.get("count")
        if not isinstance(limit, int) or limit < 0 or not isinstance(busy, int):
            return None
        return max(0, limit - busy)

    def launch(self, job_name: str, tags: dict[str, str]) -> str:
        """The run's id. Raises TransientServiceError when the webserver did not take it."""
        try:
            return self._client.submit_job_execution(
                job_name,
                repository_location_name=self.location_name,
                repository_name=REPOSITORY_NAME,
                tags=tags,
            )
        except DagsterGraphQLClientError as exc:
            raise TransientServiceError(SERVICE, f"launching {job_name} failed: {exc}") from exc
