"""contacts_search against the fake People API: one match, several (ask the user), none; read-only scopes."""

from __future__ import annotations

import httpx
import pytest

from pa_cli.errors import AuthorizationNeeded
from pa_cli.google.scopes import CONTACTS_OTHER_READONLY, CONTACTS_READONLY, SCOPES
from pa_cli.tools.google.contacts import ContactsSearch
from tests.google.support import GoogleRig


@pytest.fixture
def contacts(rig: GoogleRig) -> GoogleRig:
    rig.grant("contacts")
    rig.fake.people.add_contact("Priya Raman", "priya.raman@example.com", organization="Acme")
    rig.fake.people.add_contact("Priya Shah", "priya@shah.example")
    rig.fake.people.add_contact("Sam Lee", "sam@example.com", "sam.lee@work.example")
    rig.fake.people.add_contact("Lee Park", "lee@example.com", other=True)
    rig.fake.people.add_contact("Sam Lee (copy)", "sam@example.com", other=True)
    return rig


def test_the_contacts_service_asks_only_for_read_only_people_scopes() -> None:
    assert SCOPES["contacts"] == [CONTACTS_READONLY, CONTACTS_OTHER_READONLY]
    assert all(scope.endswith(".readonly") for scope in SCOPES["contacts"])
    assert ContactsSearch.service == "contacts" and not ContactsSearch.side_effect


def test_two_people_match_so_the_model_is_told_to_ask_not_guess(contacts: GoogleRig) -> None:
    result = contacts.run(ContactsSearch(), query="priya")
    content = result.content
    assert content["matches"] == 2 and content["ambiguous"] is True
    assert {p["name"] for p in content["people"]} == {"Priya Raman", "Priya Shah"}
    assert (
        "Ask the user which one they mean" in content["next_step"] and "do not guess" in content["next_step"]
    )
    assert result.summary == content["next_step"]
    assert result.untrusted is True
    assert contacts.fake.violations == []


def test_one_match_is_plain_and_other_contacts_are_searched_too(contacts: GoogleRig) -> None:
    lee = contacts.run(ContactsSearch(), query="Park").content
    assert lee["matches"] == 1 and lee["ambiguous"] is False
    assert lee["people"][0] == {
        "name": "Lee Park",
        "emails": ["lee@example.com"],
        "source": "other_contacts",
        "resource_name": lee["people"][0]["resource_name"],
    }
    assert lee["next_step"] == "One contact matches 'Park'."


def test_one_person_with_two_addresses_is_ambiguous_and_a_copy_is_merged(contacts: GoogleRig) -> None:
    sam = contacts.run(ContactsSearch(), query="sam").content
    assert sam["matches"] == 1  # the other-contacts copy with the same address is merged away
    assert sam["ambiguous"] is True and "which address to use" in sam["next_step"]


def test_no_match_says_ask_for_the_address(contacts: GoogleRig) -> None:
    none = contacts.run(ContactsSearch(), query="Zed").content
    assert none["matches"] == 0 and none["people"] == []
    assert "ask the user for the address; do not guess" in none["next_step"]


def test_without_the_contacts_grant_it_asks_for_authorization(rig: GoogleRig) -> None:
    rig.grant("gmail")
    with pytest.raises(AuthorizationNeeded, match="pa tools authorize contacts"):
        rig.run(ContactsSearch(), query="priya")


def test_people_requests_that_break_the_discovery_document_fail(contacts: GoogleRig) -> None:
    token = contacts.fake.issue_tokens([CONTACTS_READONLY]).access_token
    headers = {"authorization": f"Bearer {token}"}
    url = contacts.fake.base_url + "/v1/people:searchContacts"
    bad = httpx.get(url, params={"query": "priya", "readMask": "names", "maxResults": "5"}, headers=headers)
    assert bad.status_code == 400
    worse = httpx.get(url, params={"query": "priya", "readMask": "names", "pageSize": "ten"}, headers=headers)
    assert worse.status_code == 400
    [unknown, wrong_type] = contacts.fake.take_violations()
    assert "maxResults" in str(unknown) and "people.people.searchContacts" in str(unknown)
    assert "pageSize" in str(wrong_type)
    good = httpx.get(url, params={"query": "priya", "readMask": "names"}, headers=headers)
    assert good.status_code == 200 and len(good.json()["results"]) == 2
    no_mask = httpx.get(url, params={"query": "priya"}, headers=headers)
    assert no_mask.status_code == 400 and "readMask" in no_mask.text
    [missing] = contacts.fake.take_violations()  # the discovery document marks readMask required
    assert "required query parameter 'readMask' is missing" in str(missing)
