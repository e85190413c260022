"""Talking GraphQL to the Xledger sandbox directly, for the sandbox's own tests."""

from __future__ import annotations

from typing import Any

import httpx

from accountlink_ui.sandbox import demo_credentials as demo

ADD = (
    "mutation ($inputs: [AddGLImportItemsInput!]) "
    "{ addGLImportItems(inputs: $inputs) { edges { node { dbId yourReference amount } } } }"
)
READ = (
    "query ($refs: [String!]) { glImportItems(first: 50, filter: { yourReference_in: $refs }) "
    "{ edges { node { dbId yourReference } } pageInfo { hasNextPage } } }"
)


def gql(
    sandbox: Any,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    token: str = demo.XLEDGER_DEMO_TOKEN,
    environment: str = "demo",
    scheme: str = "token",
) -> httpx.Response:
    return sandbox.client.post(
        f"/xledger/{environment}/graphql",
        json={"query": query, "variables": variables or {}},
        headers={"Authorization": f"{scheme} {token}"},
    )
