"""A larger sandbox is a larger customer base: more distinct names, not more people per name; one mailbox, phone
number and street address per customer."""

from collections import Counter

import pytest
from rapidfuzz import fuzz, process

from customer_hub.sandbox.population import Population, mailbox_key
from customer_hub.sandbox.vocabulary import (
    COMPANY_NOUNS,
    COMPANY_WORDS,
    EXTRA_COMPANY_NOUNS,
    EXTRA_COMPANY_WORDS,
    FIRST_NAMES,
    LAST_NAMES,
    STREETS,
)
from customer_hub.sandbox.world import World, build_world


@pytest.fixture(scope="module")
def worlds() -> dict[int, World]:
    return {scale: build_world(seed=42, scale=scale) for scale in (1, 5)}


def _people(world: World):
    return [person for customer in world.customers for person in customer.people]


def _namesakes_per_person(world: World) -> float:
    """How many other people share a person's full name, on average."""
    counts = Counter(person.full_name for person in _people(world))
    return sum(n * (n - 1) for n in counts.values()) / sum(counts.values())


def test_a_small_world_draws_from_the_base_lists() -> None:
    population = Population(seed=42, scale=1)
    assert population.first_names == FIRST_NAMES
    assert population.last_names == LAST_NAMES
    assert population.company_words == COMPANY_WORDS
    assert population.company_nouns == COMPANY_NOUNS
    assert population.streets == STREETS


def test_pools_grow_with_the_square_root_of_the_scale() -> None:
    small, large = Population(seed=42, scale=4), Population(seed=42, scale=16)
    assert len(small.first_names) == 2 * len(FIRST_NAMES)
    assert large.last_names[: len(small.last_names)] == small.last_names
    assert len(large.last_names) == 4 * len(LAST_NAMES)
    assert small.common_share == pytest.approx(2 * large.common_share)
    assert len(large.streets) == 16 * len(STREETS)


def test_people_have_no_more_namesakes_in_a_larger_world(worlds: dict[int, World]) -> None:
    assert len(_people(worlds[5])) > 4.5 * len(_people(worlds[1]))
    assert _namesakes_per_person(worlds[5]) <= _namesakes_per_person(worlds[1])


def test_strangers_still_share_names_in_a_larger_world(worlds: dict[int, World]) -> None:
    counts = Counter(person.full_name for person in _people(worlds[5]))
    assert sum(n for n in counts.values() if n > 1) > 1000


def test_every_person_has_a_mailbox_of_their_own(worlds: dict[int, World]) -> None:
    for world in worlds.values():
        mailboxes = Counter(mailbox_key(person.email) for person in _people(world) if person.email)
        assert mailboxes.most_common(1)[0][1] == 1


def test_every_phone_number_belongs_to_one_customer(worlds: dict[int, World]) -> None:
    for world in worlds.values():
        holders: dict[str, set[str]] = {}
        for customer in world.customers:
            for phone in (customer.phone, *(person.phone for person in customer.people)):
                if phone:
                    holders.setdefault(phone, set()).add(customer.key)
        assert max(len(keys) for keys in holders.values()) == 1


def test_customers_share_a_street_address_no_more_often_in_a_larger_world(worlds: dict[int, World]) -> None:
    def sharing(world: World) -> float:
        addresses = Counter((customer.street, customer.city) for customer in world.customers)
        return sum(n for n in addresses.values() if n > 1) / len(world.customers)

    assert sharing(worlds[5]) <= 1.5 * sharing(worlds[1])


def test_a_namesake_colleague_gets_the_next_address_pattern() -> None:
    population = Population(seed=42, scale=1)
    first = population.work_address("david", "David", "Lee", "flint.example")
    second = population.work_address("david", "David", "Shah", "flint.example")
    third = population.work_address("david.shah", "David", "Shah", "flint.example")
    assert (first, second, third) == ("david@flint.example", "david.shah@flint.example", "davidshah@flint.example")


def test_a_taken_personal_mailbox_gets_a_number_and_gmail_dots_do_not_make_it_free() -> None:
    population = Population(seed=42, scale=1)
    assert population.personal_address("john.smith", "John", "Smith", "gmail.com") == "john.smith@gmail.com"
    other = population.personal_address("johnsmith", "John", "Smith", "gmail.com")
    assert other.startswith("john.smith") and other[len("john.smith") : -len("@gmail.com")].isdigit()
    assert population.personal_address("john.smith", "John", "Smith", "yahoo.com") == "john.smith@yahoo.com"


def test_company_names_rarely_need_a_city_to_stay_unique_in_a_larger_world(worlds: dict[int, World]) -> None:
    def with_city(world: World) -> float:
        companies = [customer for customer in world.customers if customer.is_company]
        return sum(len(customer.stem.split()) > 2 for customer in companies) / len(companies)

    assert with_city(worlds[5]) < 2 * with_city(worlds[1])


@pytest.mark.parametrize(
    ("base", "extra"),
    [(COMPANY_WORDS, EXTRA_COMPANY_WORDS), (COMPANY_NOUNS, EXTRA_COMPANY_NOUNS)],
    ids=["words", "nouns"],
)
def test_added_company_words_are_no_near_spellings_of_each_other(base: tuple, extra: tuple) -> None:
    words = [word.lower() for word in base + extra]
    similarity = process.cdist(words, words, scorer=fuzz.ratio)
    for i in range(len(base), len(words)):
        close = [words[j] for j in range(i) if similarity[i, j] >= 70]
        assert not close, f"{words[i]} reads like {close}"
