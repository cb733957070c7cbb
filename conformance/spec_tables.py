"""The OCPI 2.2.1 spec's tables of the objects the suite reads, and of their enums, as text
that reads like the spec (parsed by `spec.py`, whose docstring explains the notation)."""

OBJECT_TABLES = """
Version                          version_information_endpoint §2
  version              VersionNumber        1
  url                  URL                  1
VersionDetails
  version              VersionNumber        1
  endpoints            Endpoint             +
Endpoint
  identifier           ModuleID             1
  role                 InterfaceRole        1
  url                  URL                  1

Credentials                      credentials §3.1
  token                CredentialsToken     1
  url                  URL                  1
  roles                CredentialsRole      +
CredentialsRole
  role                 Role                 1
  business_details     BusinessDetails      1
  party_id             CiString(3)          1
  country_code         CiString(2)          1

Location                         mod_locations §4.1
  country_code         CiString(2)          1
  party_id             CiString(3)          1
  id                   CiString(36)         1
  publish              boolean              1
  publish_allowed_to   PublishTokenType     *
  name                 string(255)          ?
  address              string(45/255)       1
  city                 string(45)           1
  postal_code          string(10)           ?
  state                string(20/45)        ?
  country              string(3)            1
  coordinates          GeoLocation          1
  related_locations    AdditionalGeoLocation *
  parking_type         ParkingType          ?
  evses                EVSE                 *
  directions           DisplayText          *
  operator             BusinessDetails      ?
  suboperator          BusinessDetails      ?
  owner                BusinessDetails      ?
  facilities           Facility             *
  time_zone            string(255)          1
  opening_times        Hours                ?
  charging_when_closed boolean              ?
  images               Image                *
  energy_mix           EnergyMix            ?
  last_updated         DateTime             1
EVSE
  uid                  CiString(36)         1
  evse_id              CiString(48)         ?
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
  id                   CiString(36)         1
  standard             ConnectorType        1
  format               ConnectorFormat      1
  power_type           PowerType            1
  max_voltage          int                  1
  max_amperage         int                  1
  max_electric_power   int                  ?
  tariff_ids           CiString(36)         *
  terms_and_conditions URL                  ?
  last_updated         DateTime             1
GeoLocation
  latitude             Latitude             1
  longitude            Longitude            1
AdditionalGeoLocation
  latitude             Latitude             1
  longitude            Longitude            1
  name                 DisplayText          ?
DisplayText                      types §1.9
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
  type                 CiString(4)          1
  width                int                  ?
  height               int                  ?
Hours
  twentyfourseven      boolean              1
  regular_hours        RegularHours         *
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
  category             EnvironmentalImpactCategory 1
  amount               number               1
PublishTokenType
  uid                  CiString(36)         ?
  type                 TokenType            ?
  visual_number        string(64)           ?
  issuer               string(64)           ?
  group_id             CiString(36)         ?

Tariff                           mod_tariffs §4.4
  country_code         CiString(2)          1
  party_id             CiString(3)          1
  id                   CiString(36)         1
  currency             string(3)            1
  type                 TariffType           ?
  tariff_alt_text      DisplayText          *
  tariff_alt_url       URL                  ?
  min_price            Price                ?
  max_price            Price                ?
  elements             TariffElement        +
  start_date_time      DateTime             ?
  end_date_time        DateTime             ?
  energy_mix           EnergyMix            ?
  last_updated         DateTime             1
TariffElement
  price_components     PriceComponent       +
  restrictions         TariffRestrictions   ?
PriceComponent
  type                 TariffDimensionType  1
  price                number               1
  vat                  number               ?
  step_size            int                  1
TariffRestrictions
  start_time           HourMinute           ?
  end_time             HourMinute           ?
  start_date           Date                 ?
  end_date             Date                 ?
  min_kwh              number               ?
  max_kwh              number               ?
  min_current          number               ?
  max_current          number               ?
  min_power            number               ?
  max_power            number               ?
  min_duration         int                  ?
  max_duration         int                  ?
  day_of_week          DayOfWeek            *
  reservation          ReservationRestrictionType ?
Price
  excl_vat             number               1
  incl_vat             number               ?

Token                            mod_tokens §4.5
  country_code         CiString(2)          1
  party_id             CiString(3)          1
  uid                  CiString(36)         1
  type                 TokenType            1
  contract_id          CiString(36)         1
  visual_number        string(64)           ?
  issuer               string(64)           1
  group_id             CiString(36)         ?
  valid                boolean              1
  whitelist            WhitelistType        1
  language             string(2)            ?
  default_profile_type ProfileType          ?
  energy_contract      EnergyContract       ?
  last_updated         DateTime             1
EnergyContract
  supplier_name        string(64)           1
  contract_id          string(64)           ?
AuthorizationInfo
  allowed              AllowedType          1
  token                Token                1
  location             LocationReferences   ?
  authorization_reference CiString(36)      ?
  info                 DisplayText          ?
LocationReferences
  location_id          CiString(36)         1
  evse_uids            CiString(36)         *

Session                          mod_sessions §4.2
  country_code         CiString(2)          1
  party_id             CiString(3)          1
  id                   CiString(36)         1
  start_date_time      DateTime             1
  end_date_time        DateTime             ?
  kwh                  number               1
  cdr_token            CdrToken             1
  auth_method          AuthMethod           1
  authorization_reference CiString(36)      ?
  location_id          CiString(36)         1
  evse_uid             CiString(36)         1
  connector_id         CiString(36)         1
  meter_id             string(255)          ?
  currency             string(3)            1
  charging_periods     ChargingPeriod       *
  total_cost           Price                ?
  status               SessionStatus        1
  last_updated         DateTime             1
CdrToken
  country_code         CiString(2)          1
  party_id             CiString(3)          1
  uid                  CiString(36)         1
  type                 TokenType            1
  contract_id          CiString(36)         1
ChargingPeriod
  start_date_time      DateTime             1
  dimensions           CdrDimension         +
  tariff_id            CiString(36)         ?
CdrDimension
  type                 CdrDimensionType     1
  volume               number               1

CDR                              mod_cdrs §4.3
  country_code         CiString(2)          1
  party_id             CiString(3)          1
  id                   CiString(39)         1
  start_date_time      DateTime             1
  end_date_time        DateTime             1
  session_id           CiString(36)         ?
  cdr_token            CdrToken             1
  auth_method          AuthMethod           1
  authorization_reference CiString(36)      ?
  cdr_location         CdrLocation          1
  meter_id             string(255)          ?
  currency             string(3)            1
  tariffs              Tariff               *
  charging_periods     ChargingPeriod       +
  signed_data          SignedData           ?
  total_cost           Price                1
  total_fixed_cost     Price                ?
  total_energy         number               1
  total_energy_cost    Price                ?
  total_time           number               1
  total_time_cost      Price                ?
  total_parking_time   number               ?
  total_parking_cost   Price                ?
  total_reservation_cost Price              ?
  remark               string(255)          ?
  invoice_reference_id CiString(39)         ?
  credit               boolean              ?
  credit_reference_id  CiString(39)         ?
  home_charging_compensation boolean        ?
  last_updated         DateTime             1
CdrLocation
  id                   CiString(36)         1
  name                 string(255)          ?
  address              string(45/255)       1
  city                 string(45)           1
  postal_code          string(10)           ?
  state                string(20/45)        ?
  country              string(3)            1
  coordinates          GeoLocation          1
  evse_uid             CiString(36)         1
  evse_id              CiString(48)         1
  connector_id         CiString(36)         1
  connector_standard   ConnectorType        1
  connector_format     ConnectorFormat      1
  connector_power_type PowerType            1
SignedData
  encoding_method      CiString(36)         1
  encoding_method_version int               ?
  public_key           string(512)          ?
  signed_values        SignedValue          +
  url                  string(512)          ?
SignedValue
  nature               CiString(32)         1
  plain_data           string(512/5000)     1
  signed_data          string(5000)         1

CommandResponse                  mod_commands §4.6
  result               CommandResponseType  1
  timeout              int                  1
  message              DisplayText          *

ClientInfo                       mod_hub_client_info §4.8
  party_id             CiString(3)          1
  country_code         CiString(2)          1
  role                 Role                 1
  status               ConnectionStatus     1
  last_updated         DateTime             1
"""

ENUM_TABLES = """
VersionNumber: 2.0 2.1 2.1.1 2.2 2.2.1
ModuleID: cdrs chargingprofiles commands credentials hubclientinfo locations sessions tariffs tokens
InterfaceRole: SENDER RECEIVER
Role: CPO EMSP HUB NAP NSP OTHER SCSP
Status: AVAILABLE BLOCKED CHARGING INOPERATIVE OUTOFORDER PLANNED REMOVED RESERVED UNKNOWN
Capability: CHARGING_PROFILE_CAPABLE CHARGING_PREFERENCES_CAPABLE CHIP_CARD_SUPPORT
  CONTACTLESS_CARD_SUPPORT CREDIT_CARD_PAYABLE DEBIT_CARD_PAYABLE PED_TERMINAL
  REMOTE_START_STOP_CAPABLE RESERVABLE RFID_READER START_SESSION_CONNECTOR_REQUIRED
  TOKEN_GROUP_CAPABLE UNLOCK_CAPABLE
ConnectorFormat: SOCKET CABLE
ConnectorType: CHADEMO CHAOJI DOMESTIC_A DOMESTIC_B DOMESTIC_C DOMESTIC_D DOMESTIC_E DOMESTIC_F
  DOMESTIC_G DOMESTIC_H DOMESTIC_I DOMESTIC_J DOMESTIC_K DOMESTIC_L DOMESTIC_M DOMESTIC_N
  DOMESTIC_O GBT_AC GBT_DC IEC_60309_2_single_16 IEC_60309_2_three_16 IEC_60309_2_three_32
  IEC_60309_2_three_64 IEC_62196_T1 IEC_62196_T1_COMBO IEC_62196_T2 IEC_62196_T2_COMBO
  IEC_62196_T3A IEC_62196_T3C NEMA_5_20 NEMA_6_30 NEMA_6_50 NEMA_10_30 NEMA_10_50 NEMA_14_30
  NEMA_14_50 PANTOGRAPH_BOTTOM_UP PANTOGRAPH_TOP_DOWN TESLA_R TESLA_S
PowerType: AC_1_PHASE AC_2_PHASE AC_2_PHASE_SPLIT AC_3_PHASE DC
ParkingType: ALONG_MOTORWAY PARKING_GARAGE PARKING_LOT ON_DRIVEWAY ON_STREET UNDERGROUND_GARAGE
ParkingRestriction: EV_ONLY PLUGGED DISABLED CUSTOMERS MOTORCYCLES
Facility: HOTEL RESTAURANT CAFE MALL SUPERMARKET SPORT RECREATION_AREA NATURE MUSEUM BIKE_SHARING
  BUS_STOP TAXI_STAND TRAM_STOP METRO_STATION TRAIN_STATION AIRPORT PARKING_LOT CARPOOL_PARKING
  FUEL_STATION WIFI
ImageCategory: CHARGER ENTRANCE LOCATION NETWORK OPERATOR OTHER OWNER
EnergySourceCategory: NUCLEAR GENERAL_FOSSIL COAL GAS GENERAL_GREEN SOLAR WIND WATER
EnvironmentalImpactCategory: NUCLEAR_WASTE CARBON_DIOXIDE
TariffDimensionType: ENERGY FLAT PARKING_TIME TIME
TariffType: AD_HOC_PAYMENT PROFILE_CHEAP PROFILE_FAST PROFILE_GREEN REGULAR
DayOfWeek: MONDAY TUESDAY WEDNESDAY THURSDAY FRIDAY SATURDAY SUNDAY
ReservationRestrictionType: RESERVATION RESERVATION_EXPIRES
TokenType: AD_HOC_USER APP_USER OTHER RFID
WhitelistType: ALWAYS ALLOWED ALLOWED_OFFLINE NEVER
AllowedType: ALLOWED BLOCKED EXPIRED NO_CREDIT NOT_ALLOWED
ProfileType: CHEAP FAST GREEN REGULAR
SessionStatus: ACTIVE COMPLETED INVALID PENDING RESERVATION
AuthMethod: AUTH_REQUEST COMMAND WHITELIST
CdrDimensionType: CURRENT ENERGY ENERGY_EXPORT ENERGY_IMPORT MAX_CURRENT MIN_CURRENT MAX_POWER
  MIN_POWER PARKING_TIME POWER RESERVATION_TIME STATE_OF_CHARGE TIME
CommandResponseType: NOT_SUPPORTED REJECTED ACCEPTED UNKNOWN_SESSION
ConnectionStatus: CONNECTED OFFLINE PLANNED SUSPENDED
"""
