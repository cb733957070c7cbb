"""The operations the fake Hubject serves, once a request has passed its transport rules
(certificate, schema, ids, sequence, rate: fake_hubject.py), and Hubject's other partners.

Routing as HBS does it (hub-dialects.md §5.2):
- AuthorizeStart from a CPO: the EMP's pushed authentication data first (authorized offline),
  else the EMP the EvcoID names, else every EMP (broadcast): any Authorized wins; an EMP with no
  callback is unreachable, which counts as NotAuthorized. Hubject issues the SessionID before
  it asks, and forgets it when nobody authorized.
- AuthorizeStop: a known SessionID of this operator; an offline session stops only with the
  medium that started it; else the authorizing EMP answers (Authorized when it has no callback).
- AuthorizeRemoteStart from an EMP: the EvseID among the operator's EVSE data (when it pushed
  any: 603) and IsHubjectCompatible (604); the CPO must be there (300) and answer (310).
- A CDR: a SessionID Hubject issued to this operator (400), one CDR per SessionID (009);
  Hubject stores it and forwards it to the EMP (acknowledged even when the EMP is down).
"""

from __future__ import annotations

import inspect
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from tests.oicp.hubject_state import (
    Body,
    HubjectData,
    ReceivedCdr,
    Refused,
    Session,
    identification_key,
    normal,
    now,
    operator_id_of,
    page_numbers,
    provider_id_of,
)

Callback = Callable[[Body], Body | Awaitable[Body]]


@dataclass(frozen=True)
class Partner:
    """A partner as Hubject's portal registers it: its certificate's CN and its ids
    (normalised; sub-operator and sub-provider ids included)."""

    common_name: str
    operator_ids: frozenset[str]
    provider_ids: frozenset[str]

    def owns(self, kind: str, identifier: str) -> bool:
        ids = self.operator_ids if kind == "operator" else self.provider_ids
        return normal(identifier) in ids


@dataclass
class FakeEmp:
    """An EMP behind Hubject: answers what Hubject forwards to it, records what reached it."""

    provider_id: str
    authorize_start: Callback | None = None
    authorize_stop: Callback | None = None
    received: list[tuple[str, Body]] = field(default_factory=list)


@dataclass
class FakeCpo:
    """A CPO behind Hubject: answers the remote start/stop Hubject forwards to it."""

    operator_id: str
    remote_start: Callback | None = None
    remote_stop: Callback | None = None
    received: list[tuple[str, Body]] = field(default_factory=list)


def ack(result: bool, code: str = "000", info: str | None = None, **more: Any) -> Body:
    """An eRoamingAcknowledgement."""
    status: Body = {"Code": code}
    if info:
        status["AdditionalInfo"] = info[:1000]
    return {"Result": result, "StatusCode": status, **{k: v for k, v in more.items() if v}}


async def called(callback: Callback, body: Body) -> Body:
    answer = callback(body)
    return await answer if inspect.isawaitable(answer) else answer


def _partner_sessions(*bodies: Body) -> Body:
    found: Body = {}
    for name in ("CPOPartnerSessionID", "EMPPartnerSessionID"):
        for body in bodies:
            if body.get(name):
                found.setdefault(name, body[name])
    return found


def _authorization(status: str, code: str, session_id: str | None, provider: str | None) -> Body:
    answer: Body = {"AuthorizationStatus": status, "StatusCode": {"Code": code}}
    if session_id and status == "Authorized":
        answer["SessionID"] = session_id
    if provider:
        answer["ProviderID"] = provider
    return answer


@dataclass
class HubjectOperations(HubjectData):
    partners: dict[str, Partner] = field(default_factory=dict)  # by certificate CN
    emps: dict[str, FakeEmp] = field(default_factory=dict)  # by normalised ProviderID
    cpos: dict[str, FakeCpo] = field(default_factory=dict)  # by normalised OperatorID
    notifications: list[Body] = field(default_factory=list)

    def partner(
        self,
        common_name: str,
        operator_ids: tuple[str, ...] = (),
        provider_ids: tuple[str, ...] = (),
    ) -> Partner:
        """Register a partner as Hubject's portal does."""
        partner = Partner(
            common_name,
            frozenset(self.known_as(i) for i in operator_ids),
            frozenset(self.known_as(i) for i in provider_ids),
        )
        self.partners[common_name] = partner
        return partner

    def emp(
        self, provider_id: str, authorize_start: Callback | None = None,
        authorize_stop: Callback | None = None,
    ) -> FakeEmp:  # fmt: skip
        emp = FakeEmp(provider_id, authorize_start, authorize_stop)
        self.emps[self.known_as(provider_id)] = emp
        return emp

    def cpo(
        self, operator_id: str, remote_start: Callback | None = None,
        remote_stop: Callback | None = None,
    ) -> FakeCpo:  # fmt: skip
        cpo = FakeCpo(operator_id, remote_start, remote_stop)
        self.cpos[self.known_as(operator_id)] = cpo
        return cpo

    async def serve(
        self, operation: str, partner: Partner, path_id: str | None, body: Body, query: Any
    ) -> Body:
        handler = getattr(self, "_" + operation)
        return await handler(partner, path_id, body, query)  # type: ignore[no-any-return]

    # ---- pushes ---------------------------------------------------------------------------

    def own_evses(self, partner: Partner, evse_ids: list[str]) -> None:
        """018 when an EvseID is another operator's, or twice in one request."""
        seen: set[str] = set()
        for evse_id in evse_ids:
            if not partner.owns("operator", operator_id_of(evse_id)) or normal(evse_id) in seen:
                raise Refused("018", f"inconsistent EvseID {evse_id}", violation=True)
            seen.add(normal(evse_id))

    async def _eRoamingPushEvseData(self, partner: Partner, _: Any, body: Body, q: Any) -> Body:
        data = body["OperatorEvseData"]
        self.own_evses(partner, [r["EvseID"] for r in data["EvseDataRecord"]])
        owner = self.operator_named(data["OperatorID"], data["OperatorName"])
        self.evse_data.apply(owner, body["ActionType"], data["EvseDataRecord"])
        return ack(True)

    async def _eRoamingPushEvseStatus(self, partner: Partner, _: Any, body: Body, q: Any) -> Body:
        data = body["OperatorEvseStatus"]
        self.own_evses(partner, [r["EvseID"] for r in data["EvseStatusRecord"]])
        owner = self.operator_named(data["OperatorID"], data.get("OperatorName"))
        known = self.evse_data.current(owner)
        self.evse_status.apply(owner, body["ActionType"], data["EvseStatusRecord"], known)
        return ack(True)

    async def _eRoamingPushPricingProductData(
        self, partner: Partner, _: Any, body: Body, q: Any
    ) -> Body:
        data = body["PricingProductData"]
        operator, provider = self.known_as(data["OperatorID"]), data["ProviderID"]
        records = [
            {**r, "OperatorID": operator, "ProviderID": provider}
            for r in data["PricingProductDataRecords"]
        ]
        self.pricing_products.apply(f"{operator}|{provider}", body["ActionType"], records)
        return ack(True)

    async def _eRoamingPushEVSEPricing(
        self, partner: Partner, path_id: str, body: Body, q: Any
    ) -> Body:
        self.own_evses(partner, [r["EvseID"] for r in body["EVSEPricing"]])
        self.evse_pricing.apply(self.known_as(path_id), body["ActionType"], body["EVSEPricing"])
        return ack(True)

    async def _eRoamingPushAuthenticationData(
        self, partner: Partner, _: Any, body: Body, q: Any
    ) -> Body:
        data = body["ProviderAuthenticationData"]
        for record in data["AuthenticationDataRecord"]:
            kind, value = identification_key(record["Identification"])
            if kind == "EvcoID" and not partner.owns("provider", provider_id_of(value)):
                raise Refused("019", f"inconsistent EvcoID {value}", violation=True)
        owner = self.known_as(data["ProviderID"])
        self.authentication_data.apply(owner, body["ActionType"], data["AuthenticationDataRecord"])
        return ack(True)

    # ---- pulls ----------------------------------------------------------------------------

    async def _eRoamingPullEvseData(self, p: Partner, _: Any, body: Body, query: Any) -> Body:
        return self.pull_evse_data(body, *page_numbers(query))

    async def _eRoamingPullEvseStatus(self, p: Partner, _: Any, body: Body, q: Any) -> Body:
        return self.pull_evse_status(body)

    async def _eRoamingPullEvseStatusById(self, p: Partner, _: Any, body: Body, q: Any) -> Body:
        return self.pull_evse_status_by_id(body)

    async def _eRoamingPullEvseStatusByOperatorId(
        self, p: Partner, _: Any, body: Body, q: Any
    ) -> Body:
        return self.pull_evse_status_by_operator_id(body)

    async def _eRoamingGetChargeDetailRecords(
        self, p: Partner, _: Any, body: Body, query: Any
    ) -> Body:
        provider = normal(body["ProviderID"])
        return self.charge_detail_records(provider, body, *page_numbers(query))

    # ---- authorization --------------------------------------------------------------------

    async def _eRoamingAuthorizeStart(self, partner: Partner, _: Any, body: Body, q: Any) -> Body:
        session_id = body.get("SessionID")
        if session_id is not None and session_id not in self.sessions:
            return {**_authorization("NotAuthorized", "400", None, None), **_partner_sessions(body)}
        session_id = session_id or str(uuid.uuid4())
        forwarded = {**body, "SessionID": session_id}
        kind, value = identification_key(body["Identification"])
        offline = self.authentication_data.current().get(f"{kind}:{value}")
        answer: Body
        provider: str | None
        if offline is not None:
            answer, provider = {"AuthorizationStatus": "Authorized"}, offline.owner
        else:
            answer, provider = await self._ask_emps(kind, value, forwarded)
        status = answer.get("AuthorizationStatus", "NotAuthorized")
        code = answer.get("StatusCode", {}).get("Code", "000" if status == "Authorized" else "106")
        if status == "Authorized":
            self.sessions[session_id] = Session(
                session_id, normal(body["OperatorID"]), provider or "", body.get("EvseID"),
                body["Identification"], offline=offline is not None,
            )  # fmt: skip
        reply = _authorization(
            status, code, session_id, self.spelled(provider) if provider else None
        )
        if status == "Authorized" and answer.get("AuthorizationStopIdentifications"):
            reply["AuthorizationStopIdentifications"] = answer["AuthorizationStopIdentifications"]
        return {**reply, **_partner_sessions(body, answer)}

    async def _ask_emps(self, kind: str, value: str, forwarded: Body) -> tuple[Body, str | None]:
        """The EMP the EvcoID names, else every EMP: the first Authorized answer, else the
        last refusal (an EMP with no callback cannot be reached: NotAuthorized)."""
        if kind == "EvcoID":
            key = provider_id_of(value)
            asked = [(key, self.emps[key])] if key in self.emps else []
        else:
            asked = list(self.emps.items())
        refusal: Body = {"AuthorizationStatus": "NotAuthorized"}
        for key, emp in asked:
            emp.received.append(("eRoamingAuthorizeStart", forwarded))
            if emp.authorize_start is None:
                continue
            answer = await called(emp.authorize_start, forwarded)
            if answer.get("AuthorizationStatus") == "Authorized":
                return answer, key
            refusal = answer
        return refusal, None

    async def _eRoamingAuthorizeStop(self, partner: Partner, _: Any, body: Body, q: Any) -> Body:
        session = self.sessions.get(body["SessionID"])
        if session is None or session.operator != normal(body["OperatorID"]):
            return {**_authorization("NotAuthorized", "400", None, None), **_partner_sessions(body)}
        emp = self.emps.get(session.provider)
        if session.offline:
            same = session.identification is not None and identification_key(
                body["Identification"]
            ) == identification_key(session.identification)
            answer: Body = {"AuthorizationStatus": "Authorized" if same else "NotAuthorized"}
        elif emp is not None and emp.authorize_stop is not None:
            emp.received.append(("eRoamingAuthorizeStop", body))
            answer = await called(emp.authorize_stop, body)
        else:
            answer = {"AuthorizationStatus": "Authorized"}
        status = answer.get("AuthorizationStatus", "NotAuthorized")
        code = answer.get("StatusCode", {}).get("Code", "000" if status == "Authorized" else "106")
        session.stopped = session.stopped or status == "Authorized"
        reply = _authorization(status, code, session.session_id, self.spelled(session.provider))
        return {**reply, **_partner_sessions(body, answer)}

    # ---- remote start / stop ----------------------------------------------------------------

    def _cpo_for(self, operator: str, operation: str) -> tuple[FakeCpo, Callback]:
        cpo = self.cpos.get(operator)
        if cpo is None:
            raise Refused("300", f"no CPO {self.spelled(operator)} behind Hubject")
        callback = cpo.remote_start if operation == "start" else cpo.remote_stop
        if callback is None:
            raise Refused("310", f"CPO {cpo.operator_id} did not respond")
        return cpo, callback

    async def _eRoamingAuthorizeRemoteStart(
        self, partner: Partner, _: Any, body: Body, q: Any
    ) -> Body:
        evse_id = body["EvseID"]
        operator = normal(operator_id_of(evse_id))
        if uploaded := self.evse_data.current(operator):
            if normal(evse_id) not in uploaded:
                raise Refused("603", f"unknown EvseID {evse_id}")
            if uploaded[normal(evse_id)].record["IsHubjectCompatible"] is False:
                raise Refused("604", f"EvseID {evse_id} is not Hubject compatible")
        if body.get("SessionID") and body["SessionID"] not in self.sessions:
            raise Refused("400", f"SessionID {body['SessionID']} was not issued by Hubject")
        cpo, callback = self._cpo_for(operator, "start")
        session_id = body.get("SessionID") or str(uuid.uuid4())
        forwarded = {**body, "SessionID": session_id}
        cpo.received.append(("eRoamingAuthorizeRemoteStart", forwarded))
        answer = await called(callback, forwarded)
        result = answer.get("Result") is True
        if result:
            self.sessions[session_id] = Session(
                session_id, operator, normal(body["ProviderID"]), evse_id, body["Identification"]
            )
        code = answer.get("StatusCode", {}).get("Code", "000")
        return ack(result, code, SessionID=session_id, **_partner_sessions(body, answer))

    async def _eRoamingAuthorizeRemoteStop(
        self, partner: Partner, _: Any, body: Body, q: Any
    ) -> Body:
        session = self.sessions.get(body["SessionID"])
        if session is None or session.provider != normal(body["ProviderID"]):
            raise Refused("400", f"SessionID {body['SessionID']} is not this provider's")
        cpo, callback = self._cpo_for(session.operator, "stop")
        cpo.received.append(("eRoamingAuthorizeRemoteStop", body))
        answer = await called(callback, body)
        result = answer.get("Result") is True
        session.stopped = session.stopped or result
        code = answer.get("StatusCode", {}).get("Code", "000")
        return ack(result, code, SessionID=session.session_id, **_partner_sessions(body, answer))

    # ---- after the charge -------------------------------------------------------------------

    def _session_of(self, partner: Partner, session_id: str) -> Session:
        session = self.sessions.get(session_id)
        if session is None or session.operator not in partner.operator_ids:
            raise Refused("400", f"SessionID {session_id} was not issued to this operator")
        return session

    async def _eRoamingChargeDetailRecord(
        self, partner: Partner, _: Any, body: Body, q: Any
    ) -> Body:
        self.own_evses(partner, [body["EvseID"]])
        session = self._session_of(partner, body["SessionID"])
        if body["SessionID"] in self.cdrs:
            raise Refused("009", f"a CDR for SessionID {body['SessionID']} was received already")
        emp = self.emps.get(session.provider)
        if emp is not None:
            emp.received.append(("eRoamingChargeDetailRecord", body))
        self.cdrs[body["SessionID"]] = ReceivedCdr(
            body, session.operator, session.provider, now(), forwarded=emp is not None
        )
        return ack(True, SessionID=body["SessionID"], **_partner_sessions(body))

    async def _eRoamingChargingNotifications(
        self, partner: Partner, _: Any, body: Body, q: Any
    ) -> Body:
        session = self._session_of(partner, body["SessionID"])
        self.notifications.append(body)
        if (emp := self.emps.get(session.provider)) is not None:
            emp.received.append(("eRoamingChargingNotifications", body))
        return ack(True, SessionID=body["SessionID"], **_partner_sessions(body))
