"""Record ids are UUID version 7: valid UUIDs that sort in the order they were made."""

import threading
import uuid

from fieldapp import demodata, ids


def test_new_ids_are_version_7_and_sort_in_the_order_they_were_made() -> None:
    made = [ids.new_id() for _ in range(5000)]  # many fall in the same millisecond
    assert made == sorted(made)
    assert len(set(made)) == len(made)
    for text in made[:50]:
        u = uuid.UUID(text)
        assert str(u) == text and u.version == 7 and u.variant == uuid.RFC_4122


def test_ids_made_by_many_threads_are_unique() -> None:
    out: list[list[str]] = [[] for _ in range(4)]

    def make(i: int) -> None:
        out[i].extend(ids.new_id() for _ in range(2000))

    threads = [threading.Thread(target=make, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    every = [x for part in out for x in part]
    assert len(set(every)) == len(every)
    assert all(part == sorted(part) for part in out)


def test_uuid7_layout() -> None:
    text = ids.uuid7(0x0123456789AB, 0xCDE, 0)
    assert text == "01234567-89ab-7cde-8000-000000000000"
    assert uuid.UUID(ids.uuid7(1, 2, (1 << 62) - 1)).version == 7


def test_demo_ids_depend_on_the_seed_only_and_sort_within_a_part() -> None:
    subs = demodata.subdistrict_pool(3, None)
    a = [demodata.RecordMaker(3, "households:0", subs).uuid() for _ in range(1)]
    g1, g2 = demodata.RecordMaker(3, "households:0", subs), demodata.RecordMaker(3, "households:0", subs)
    first, second = [g1.uuid() for _ in range(3000)], [g2.uuid() for _ in range(3000)]
    assert first == second and first[0] == a[0]
    assert first == sorted(first)
    other = [demodata.RecordMaker(4, "households:0", subs).uuid() for _ in range(10)]
    assert not set(other) & set(first)
    assert uuid.UUID(first[0]).version == 7
