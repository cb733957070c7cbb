"""The OCPI 2.1.1 spec's tables of the objects the suite reads, and of their enums, in the
notation of `spec_tables.py` (parsed by `spec.py`). Written from the 2.1.1-d2 text (GitHub
ocpi/ocpi tag 2.1.1-d2) through shared/reference/ocpi-2.1.1-differences.md §1 to §8, never
from ocpi-hub's translation modules.

What sets these apart from the 2.2.1 tables: no owner fields (`country_code`, `party_id`) on
any object; ids are `string` (case-sensitive), Location and EVSE ids up to 39; Location `type`
(required) instead of `parking_type`, `postal_code` required, `time_zone` optional, no
`publish`; Connector `voltage`/`amperage` and a single `tariff_id`; Hours a choice of
`regular_hours` or `twentyfourseven` (a rule in validate.py); EnvironmentalImpact `source`;
Token `auth_id`; Session `start_datetime`/`end_datetime`, `auth_id`, an embedded Location and
a number `total_cost`; CDR `stop_date_time`, `auth_id`, an embedded Location and a number
`total_cost`; CommandResponse only `result`; Endpoint without `role`; Credentials with one
party at top level; LocationReferences with `connector_ids`.

A versions list names every version the server serves, later ones too (a 2.1.1 client ignores
those it does not know), so a listed `Version.version` is any version number; the details
checked must be 2.1.1's.
"""

OBJECT_TABLES = """
Version                          version_information_endpoint §2 (2.1.1)
  version              string(5)            1
  url                  URL                  1
VersionDetails
  version              VersionNumber        1
  endpoints            Endpoint             +
Endpoint
  identifier           ModuleID             1
  url                  URL                  1

Credentials                      credentials §3.1 (2.1.1)
  token                CredentialsToken     1
  url                  URL                  1
  business_details     BusinessDetails      1
  party_id             string(3)            1
  country_code         string(2)            1

Location                         mod_locations §4.1 (2.1.1)
  id                   string(39)           1
  type                 LocationType         1
  name                 string(255)          ?
  address              string(45)           1
  city                 string(45)           1
  postal_code          string(10)           1
  country              string(3)            1
  coordinates          GeoLocation          1
  related_locations    AdditionalGeoLocation *
  evses                EVSE                 *
  directions           DisplayText          *
  operator             BusinessDetails      ?
  suboperator          BusinessDetails      ?
  owner                BusinessDetails      ?
  facilities           Facility             *
  time_zone            string(255)          ?
  opening_times        Hours                ?
  charging_when_closed boolean              ?
  images               Image                *
  energy_mix           EnergyMix            ?
  last_updated         DateTime             1
EVSE
  uid                  string(39)           1
  evse_id              string(48)           ?
  status               Status               1
  status_schedule      StatusSchedule       *
  capabilities         Capability           *
  connectors           Connector            +
  floor_level          string(4)            ?
  coordinates          GeoLocation          ?
  physical_reference   string(16)           ?
  directions           DisplayText          *
  parking_restrictions ParkingRestriction   *
  images               Image                *
  last_updated         DateTime             1
Connector
  id                   string(36)           1
  standard             ConnectorType        1
  format               ConnectorFormat      1
  power_type           PowerType            1
  voltage              int                  1
  amperage             int                  1
  tariff_id            string(36)           ?
  terms_and_conditions URL                  ?
  last_updated         DateTime             1
GeoLocation
  latitude             Latitude             1
  longitude            Longitude            1
AdditionalGeoLocation
  latitude             Latitude             1
  longitude            Longitude            1
  name                 DisplayText          ?
DisplayText                      types §4.3 (2.1.1)
  language             string(2)            1
  text                 string(512)          1
BusinessDetails
  name                 string(100)          1
  website              URL                  ?
  logo                 Image                ?
Image
  url                  URL                  1
  thumbnail            URL                  ?
  category             ImageCategory        1
  type                 string(4)            1
  width                int                  ?
  height               int                  ?
Hours
  regular_hours        RegularHours         *
  twentyfourseven      boolean              ?
  exceptional_openings ExceptionalPeriod    *
  exceptional_closings ExceptionalPeriod    *
RegularHours
  weekday              int                  1
  period_begin         HourMinute           1
  period_end           HourMinute           1
ExceptionalPeriod
  period_begin         DateTime             1
  period_end           DateTime             1
StatusSchedule
  period_begin         DateTime             1
  period_end           DateTime             ?
  status               Status               1
EnergyMix
  is_green_energy      boolean              1
  energy_sources       EnergySource         *
  environ_impact       EnvironmentalImpact  *
  supplier_name        string(64)           ?
  energy_product_name  string(64)           ?
EnergySource
  source               EnergySourceCategory 1
  percentage           number               1
EnvironmentalImpact
  source               EnvironmentalImpactCategory 1
  amount               number               1

Tariff                           mod_tariffs §4.1 (2.1.1)
  id                   string(36)           1
  currency             string(3)            1
  tariff_alt_text      DisplayText          *
  tariff_alt_url       URL                  ?
  elements             TariffElement        +
  energy_mix           EnergyMix            ?
  last_updated         DateTime             1
TariffElement
  price_components     PriceComponent       +
  restrictions         TariffRestrictions   ?
PriceComponent
  type                 TariffDimensionType  1
  price                number               1
  step_size            int                  1
TariffRestrictions
  start_time           HourMinute           ?
  end_time             HourMinute           ?
  start_date           Date                 ?
  end_date             Date                 ?
  min_kwh              number               ?
  max_kwh              number               ?
  min_power            number               ?
  max_power            number               ?
  min_duration         int                  ?
  max_duration         int                  ?
  day_of_week          DayOfWeek            *

Token                            mod_tokens §4.1 (2.1.1)
  uid                  string(36)           1
  type                 TokenType            1
  auth_id              string(36)           1
  visual_number        string(64)           ?
  issuer               string(64)           1
  valid                boolean              1
  whitelist            WhitelistType        1
  language             string(2)            ?
  last_updated         DateTime             1
AuthorizationInfo                mod_tokens §4.1.1 (2.1.1)
  allowed              Allowed              1
  location             LocationReferences   ?
  info                 DisplayText          ?
LocationReferences
  location_id          string(39)           1
  evse_uids            string(39)           *
  connector_ids        string(36)           *

Session                          mod_sessions §4.1 (2.1.1)
  id                   string(36)           1
  start_datetime       DateTime             1
  end_datetime         DateTime             ?
  kwh                  number               1
  auth_id              string(36)           1
  auth_method          AuthMethod           1
  location             Location             1
  meter_id             string(255)          ?
  currency             string(3)            1
  charging_periods     ChargingPeriod       *
  total_cost           number               ?
  status               SessionStatus        1
  last_updated         DateTime             1
ChargingPeriod                   mod_cdrs §4.4 (2.1.1)
  start_date_time      DateTime             1
  dimensions           CdrDimension         +
CdrDimension
  type                 CdrDimensionType     1
  volume               number               1

CDR                              mod_cdrs §4.1 (2.1.1)
  id                   string(36)           1
  start_date_time      DateTime             1
  stop_date_time       DateTime             1
  auth_id              string(36)           1
  auth_method          AuthMethod           1
  location             Location             1
  meter_id             string(255)          ?
  currency             string(3)            1
  tariffs              Tariff               *
  charging_periods     ChargingPeriod       +
  total_cost           number               1
  total_energy         number               1
  total_time           number               1
  total_parking_time   number               ?
  remark               string(255)          ?
  last_updated         DateTime             1

CommandResponse                  mod_commands §4.1 (2.1.1-d2)
  result               CommandResponseType  1
StartSession                     mod_commands §5 (2.1.1)
  response_url         URL                  1
  token                Token                1
  location_id          string(39)           1
  evse_uid             string(39)           ?
StopSession
  response_url         URL                  1
  session_id           string(36)           1
ReserveNow
  response_url         URL                  1
  token                Token                1
  expiry_date          DateTime             1
  reservation_id       int                  1
  location_id          string(39)           1
  evse_uid             string(39)           ?
UnlockConnector
  response_url         URL                  1
  location_id          string(39)           1
  evse_uid             string(39)           1
  connector_id         string(36)           1
"""

ENUM_TABLES = """
VersionNumber: 2.0 2.1 2.1.1
ModuleID: cdrs commands credentials locations sessions tariffs tokens
LocationType: ON_STREET PARKING_GARAGE UNDERGROUND_GARAGE PARKING_LOT OTHER UNKNOWN
Status: AVAILABLE BLOCKED CHARGING INOPERATIVE OUTOFORDER PLANNED REMOVED RESERVED UNKNOWN
Capability: CHARGING_PROFILE_CAPABLE CREDIT_CARD_PAYABLE REMOTE_START_STOP_CAPABLE RESERVABLE
  RFID_READER UNLOCK_CAPABLE
ConnectorFormat: SOCKET CABLE
ConnectorType: CHADEMO DOMESTIC_A DOMESTIC_B DOMESTIC_C DOMESTIC_D DOMESTIC_E DOMESTIC_F
  DOMESTIC_G DOMESTIC_H DOMESTIC_I DOMESTIC_J DOMESTIC_K DOMESTIC_L IEC_60309_2_single_16
  IEC_60309_2_three_16 IEC_60309_2_three_32 IEC_60309_2_three_64 IEC_62196_T1
  IEC_62196_T1_COMBO IEC_62196_T2 IEC_62196_T2_COMBO IEC_62196_T3A IEC_62196_T3C TESLA_R TESLA_S
PowerType: AC_1_PHASE AC_3_PHASE DC
ParkingRestriction: EV_ONLY PLUGGED DISABLED CUSTOMERS MOTORCYCLES
Facility: HOTEL RESTAURANT CAFE MALL SUPERMARKET SPORT RECREATION_AREA NATURE MUSEUM BUS_STOP
  TAXI_STAND TRAIN_STATION AIRPORT CARPOOL_PARKING FUEL_STATION WIFI
ImageCategory: CHARGER ENTRANCE LOCATION NETWORK OPERATOR OTHER OWNER
EnergySourceCategory: NUCLEAR GENERAL_FOSSIL COAL GAS GENERAL_GREEN SOLAR WIND WATER
EnvironmentalImpactCategory: NUCLEAR_WASTE CARBON_DIOXIDE
TariffDimensionType: ENERGY FLAT PARKING_TIME TIME
DayOfWeek: MONDAY TUESDAY WEDNESDAY THURSDAY FRIDAY SATURDAY SUNDAY
TokenType: OTHER RFID
WhitelistType: ALWAYS ALLOWED ALLOWED_OFFLINE NEVER
Allowed: ALLOWED BLOCKED EXPIRED NO_CREDIT NOT_ALLOWED
SessionStatus: ACTIVE COMPLETED INVALID PENDING
AuthMethod: AUTH_REQUEST WHITELIST
CdrDimensionType: ENERGY FLAT MAX_CURRENT MIN_CURRENT PARKING_TIME TIME
CommandResponseType: NOT_SUPPORTED REJECTED ACCEPTED TIMEOUT UNKNOWN_SESSION
"""
