-- Run once by the postgres image on first start (/docker-entrypoint-initdb.d/).
-- The `position` table the JDBC sink (position-sink.json) writes into. The position records are
-- schemaless JSON, which the JDBC sink cannot take as a Struct; the connector reads them with
-- StringConverter instead, and the sink writes the string into the `doc` column
-- (string.output.value.column.name), cast to jsonb because the column is jsonb. The typed
-- columns are computed from it by PostgreSQL. The key is the Kafka coordinates (pk.mode=kafka),
-- so a replayed record overwrites itself (insert.mode=upsert).
CREATE TABLE IF NOT EXISTS position (
    __connect_topic     text    NOT NULL,
    __connect_partition integer NOT NULL,
    __connect_offset    bigint  NOT NULL,
    doc                 jsonb,
    courier   text             GENERATED ALWAYS AS (doc ->> 'courier') STORED,
    latitude  double precision GENERATED ALWAYS AS ((doc ->> 'latitude')::double precision) STORED,
    longitude double precision GENERATED ALWAYS AS ((doc ->> 'longitude')::double precision) STORED,
    received  timestamptz      NOT NULL DEFAULT now(),
    PRIMARY KEY (__connect_topic, __connect_partition, __connect_offset)
);
CREATE INDEX IF NOT EXISTS position_courier_received ON position (courier, received DESC);

-- The latest position of every courier.
CREATE OR REPLACE VIEW latest_position AS
    SELECT DISTINCT ON (courier) courier, latitude, longitude, received
    FROM position ORDER BY courier, received DESC, __connect_offset DESC;
