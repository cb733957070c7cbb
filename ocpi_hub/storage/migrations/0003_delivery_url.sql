-- A delivery may go to an absolute URL instead of one of the receiver's endpoints: the
-- asynchronous results of Commands and ChargingProfiles go to the response_url the requester
-- gave, which is any URL of its choice.
ALTER TABLE deliveries ADD COLUMN url text;
