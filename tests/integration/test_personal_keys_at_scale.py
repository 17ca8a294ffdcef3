"""A survey's whole sampling frame named and then erased in one transaction each (issue 19:
the retention erases every respondent of a unit at once): 10,000 people's keys made by one
append, their at-rest copies in the read models made by the same transaction, and all of
them destroyed by one erasure event, in the log's store and in the projections' keys."""
from __future__ import annotations

from pymongo import MongoClient

from services.units.projections import PROJECTIONS as UNIT_PROJECTIONS
from shared import personal_data as pd
from shared.eventstore import NewEvent
from shared.eventstore.mongo import MongoEventStore
from shared.key_vault import KeyVault
from shared.projection_store import MongoProjector

PEOPLE = 10_000
ACTOR = {"id": "p-office", "name": "县委办", "role": "office", "scope": None}


def test_ten_thousand_people_named_and_erased_in_one_transaction_each(mongo_uri, db_prefix):
    client = MongoClient(mongo_uri)
    try:
        db = client[f"{db_prefix}_units"]
        projector = MongoProjector(db, UNIT_PROJECTIONS)
        store = MongoEventStore("units", client, db.name,
                                on_append=lambda session, envs: projector.apply(envs, "units", session))
        store.ensure_indexes()
        ids = [f"r-{i:05d}" for i in range(PEOPLE)]
        people = [{"person_id": i, "name": f"受访者{i}"} for i in ids]
        store.append("unit-u1", 0, [NewEvent("UnitRegistered", {
            "unit_id": "u1", "name": "第一单位", "org_type": "党组", "batch": 1, "sections": ["办公室"]})],
            actor=ACTOR)
        store.append("unit-u1", 1, [NewEvent("PublicNotified", {
            "unit_id": "u1", "notification_id": "n1", "scope": ids, "people": people,
            "date": "2024-05-01"})], actor=ACTOR)
        keys = db[pd.KEY_COLLECTION]
        assert keys.count_documents({"key": {"$ne": None}}) >= PEOPLE  # the log's keys
        raw = b"".join(d["payload"]["people"][0]["name"]["enc"].encode()
                       for d in db["events"].find({"type": "PublicNotified"}))
        assert "受访者".encode() not in raw

        store.append("unit-u1", 2, [NewEvent("RespondentNamesErased", {
            "unit_id": "u1", "subject_ids": ids, "accepted_on": "2024-06-01", "retention_days": 90,
            "due": "2024-08-30"})], actor=ACTOR)
        held = {d["_id"]: d["key"] for d in keys.find()}
        assert all(held[i] is None for i in ids)  # every log key destroyed
        assert [k for k, key in held.items() if k.startswith("units:r-") and key is not None] == []
        [notified] = [e for e in store.read_stream("unit-u1") if e["type"] == "PublicNotified"]
        assert {p["name"] for p in notified["payload"]["people"]} == {pd.PLACEHOLDER}
        opened = KeyVault(db).opened([d for c in db.list_collection_names() if not c.startswith(("events", "meta"))
                                      for d in db[c].find()])
        assert "受访者" not in str(opened)
    finally:
        client.close()


def test_a_key_kept_for_reads_is_dropped_by_an_erasure_written_through_the_same_vault(mongo_uri, db_prefix):
    """Reads outside a transaction keep live keys a while (KeyVault's read cache); a service
    writes its erasures through the one vault its reads use, so the placeholder shows at once."""
    from services.units.service import UnitsService
    from shared.config import settings
    from shared.service_kit.storage import Storage, wiring_of

    storage = Storage(wiring_of(UnitsService), mongo_uri, f"{db_prefix}_units", settings().mongo_options())
    try:
        vault = storage.vault
        assert storage.own.vault is vault and storage.foreign.vault is vault
        assert storage.store.vault is vault and storage.inbox.vault is vault
        with storage.client.start_session() as session:
            keyring = vault.keyring({"units:m-1"}, session)
            stored = pd.seal_doc({"name": pd.PersonalText("缓存张某", "units:m-1")}, keyring.key_for)
            vault.write(keyring, session)
        assert vault.opened([stored])[0]["name"] == "缓存张某"  # and now kept for reads
        erasure = vault.keyring({"units:m-1"})
        erasure.erase("units:m-1")
        vault.write(erasure, None)
        assert vault.opened([stored])[0]["name"] == pd.PLACEHOLDER
    finally:
        storage.close()
