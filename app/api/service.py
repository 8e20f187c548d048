"""What every route needs, in one object on `app.state`: the runtime, the optimizer, keys, tokens.

Routes get it (and the caller) through FastAPI dependencies instead of module globals, so several apps
with different data directories can live in one process (the tests do this).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.api.auth import ANONYMOUS, KeyRing, Principal
from app.api.metrics import ApiMetrics
from app.api.tokens import MediaTokens
from app.config import Settings
from app.core.jobstore.base import JobRecord, JobStore
from app.core.lifecycle import DataLifecycle
from app.core.system_optimizer import SystemOptimizer
from app.runtime import Runtime


@dataclass
class Service:
    runtime: Runtime
    optimizer: SystemOptimizer
    keys: KeyRing
    tokens: MediaTokens
    metrics: ApiMetrics
    draining: bool = False

    @property
    def settings(self) -> Settings:
        return self.runtime.settings

    async def store(self) -> JobStore:
        return await self.optimizer.parts.queue.store()

    async def lifecycle(self) -> DataLifecycle:
        """Purges and retention (the optimizer's, shared with its workers)."""
        parts = self.optimizer.parts
        if parts.lifecycle is None:
            parts.lifecycle = self.runtime.lifecycle(await self.store())
        return parts.lifecycle

    def stop_intake(self) -> None:
        """Refuse new jobs and let the in-process workers stop claiming (they drain on shutdown)."""
        self.draining = True
        for worker in self.optimizer.parts.workers:
            worker.stop()


def get_service(request: Request) -> Service:
    service = request.app.state.service
    assert isinstance(service, Service)
    return service


bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer KEY`")


def _authenticate(service: Service, credentials: HTTPAuthorizationCredentials | None) -> Principal:
    if service.keys.open:
        return ANONYMOUS
    if credentials is None or not credentials.credentials.strip():
        raise HTTPException(
            401, "missing API key: send 'Authorization: Bearer KEY'", headers={"WWW-Authenticate": "Bearer"}
        )
    principal = service.keys.authenticate(credentials.credentials.strip())
    if principal is None:
        raise HTTPException(401, "invalid API key", headers={"WWW-Authenticate": "Bearer"})
    return principal


ServiceDep = Annotated[Service, Depends(get_service)]
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


def current_principal(service: ServiceDep, credentials: Credentials) -> Principal:
    return _authenticate(service, credentials)


PrincipalDep = Annotated[Principal, Depends(current_principal)]


async def visible_job(service: Service, principal: Principal, job_id: str) -> JobRecord:
    """The job if this caller may see it; otherwise 404, the same as a job that does not exist."""
    job = await (await service.store()).get(job_id)
    if job is None or not principal.can_see(job.owner):
        raise HTTPException(404, f"no job {job_id!r}")
    return job


async def readable_job(
    job_id: str,
    service: ServiceDep,
    credentials: Credentials,
    token: Annotated[str | None, Query(description="a signed link token from the job's `links`")] = None,
) -> JobRecord:
    """For read-only job URLs: a valid signed token opens them without a key (for `<video src>`)."""
    if token and credentials is None:
        if not service.tokens.valid(token, job_id):
            raise HTTPException(401, "invalid or expired link token; fetch the job again for fresh links")
        job = await (await service.store()).get(job_id)
        if job is None:
            raise HTTPException(404, f"no job {job_id!r}")
        return job
    return await visible_job(service, _authenticate(service, credentials), job_id)


ReadableJob = Annotated[JobRecord, Depends(readable_job)]
