-- Networks (issue 8): a platform is a PEER (it hosts its own parties) or a NETWORK (another hub
-- the hub is a member of, hosting remote parties), and speaks a dialect (ocpi_hub/dialects).
ALTER TABLE platforms
    ADD COLUMN kind text NOT NULL DEFAULT 'PEER' CHECK (kind IN ('PEER', 'NETWORK')),
    ADD COLUMN dialect text NOT NULL DEFAULT 'ocpi-2.2.1';

-- A remote party is reached through the network whose platform holds its row; the same party
-- behind two networks is two rows (two routes). How the hub learned of it: the network's
-- credentials, its HubClientInfo, or the operator (`parties add --via`).
ALTER TABLE parties
    ADD COLUMN remote boolean NOT NULL DEFAULT false,
    ADD COLUMN source text NOT NULL DEFAULT 'CREDENTIALS'
        CHECK (source IN ('CREDENTIALS', 'HUBCLIENTINFO', 'OPERATOR'));

-- One direct connection per identity, as before; remote rows only once per network.
ALTER TABLE parties DROP CONSTRAINT parties_country_code_party_id_role_key;
CREATE UNIQUE INDEX parties_direct ON parties (country_code, party_id, role) WHERE NOT remote;
CREATE UNIQUE INDEX parties_per_platform ON parties (platform_id, country_code, party_id, role);
CREATE INDEX parties_identity ON parties (country_code, party_id);

-- The platform cache keeps kind and dialect: changing them is announced like the rest.
DROP TRIGGER platforms_changed ON platforms;
CREATE TRIGGER platforms_changed
    AFTER INSERT OR DELETE
       OR UPDATE OF name, status, incoming_token_hash, outgoing_token, versions_url, version,
                    endpoints, offline, kind, dialect
    ON platforms FOR EACH ROW EXECUTE FUNCTION notify_platform_changed();

DROP TRIGGER parties_changed ON parties;
CREATE TRIGGER parties_changed
    AFTER INSERT OR DELETE OR UPDATE OF platform_id, country_code, party_id, role, remote
    ON parties FOR EACH ROW EXECUTE FUNCTION notify_platform_changed();
