-- Hubject as a network (issue 10): the hub speaks OICP 2.3 to it through the bridge
-- (ocpi_hub/push/oicp), which the rest of the hub sees as one more network platform.

-- The one Hubject connection: where it is, the files of our mutual-TLS identity, and the token
-- the bridge calls the hub's own OCPI side with as this platform (Hubject's calls, translated).
-- That token is kept in clear like every outgoing token: the hub must be able to send it.
CREATE TABLE hubject_networks (
    platform_id   bigint PRIMARY KEY REFERENCES platforms ON DELETE CASCADE,
    base_url      text NOT NULL,
    cert_file     text NOT NULL,
    key_file      text NOT NULL,
    ca_file       text NOT NULL,
    bridge_token  text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- Local parties roaming on Hubject: a CPO as an operator (OperatorID), an eMSP as a provider
-- (ProviderID), in the form Hubject knows them.
CREATE TABLE hubject_parties (
    platform_id   bigint NOT NULL REFERENCES hubject_networks ON DELETE CASCADE,
    country_code  text NOT NULL,
    party_id      text NOT NULL,
    role          text NOT NULL CHECK (role IN ('CPO', 'EMSP')),
    oicp_id       text NOT NULL,
    enabled_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (platform_id, country_code, party_id, role),
    UNIQUE (platform_id, role, oicp_id)
);

-- The EVSE data records Hubject holds from us: the next push of one is an update, else an insert.
CREATE TABLE hubject_evses (
    platform_id   bigint NOT NULL REFERENCES hubject_networks ON DELETE CASCADE,
    evse_id       text NOT NULL,   -- as pushed
    pushed_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (platform_id, evse_id)
);

-- Hubject's SessionIDs and what they belong to: the EVSE (for AuthorizeStop, RemoteStop) and
-- the local party the session is for.
CREATE TABLE hubject_sessions (
    platform_id   bigint NOT NULL REFERENCES hubject_networks ON DELETE CASCADE,
    session_id    text NOT NULL,
    evse_id       text,
    reference     text,            -- our eMSP's authorization_reference of a remote start
    country_code  text NOT NULL,
    party_id      text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (platform_id, session_id)
);

-- What translations between protocols could not carry (dialects.losses), counted per dialect,
-- module, field and way, with the latest example: `ocpi-hub hubject losses`.
CREATE TABLE translation_losses (
    dialect       text NOT NULL,
    module        text NOT NULL,
    field         text NOT NULL,
    direction     text NOT NULL CHECK (direction IN ('in', 'out')),
    lost          text NOT NULL CHECK (lost IN ('dropped', 'guessed', 'approximated')),
    count         bigint NOT NULL,
    example       text NOT NULL,
    why           text NOT NULL,
    first_seen    timestamptz NOT NULL DEFAULT now(),
    last_seen     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (dialect, module, field, direction, lost)
);

-- Hubject's partners become remote parties of its platform as the bridge meets their ids
-- (an OperatorID in pulled EVSE data, a ProviderID answering an authorization): source OICP.
ALTER TABLE parties DROP CONSTRAINT parties_source_check;
ALTER TABLE parties ADD CONSTRAINT parties_source_check
    CHECK (source IN ('CREDENTIALS', 'HUBCLIENTINFO', 'OPERATOR', 'OICP'));
