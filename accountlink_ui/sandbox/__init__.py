"""Local stand-ins for the external accounting systems, served over real HTTP.

Xledger (GraphQL), Microsoft Entra ID (token endpoint and discovery), Business
Central, Dataverse and a generic REST ledger, with their real error bodies and
switchable fault modes. The product calls them exactly as it calls the real
systems; nothing here is imported on the product's code path.

Xledger and Business Central post against one demo chart (`chart`) and
refuse what the real ledgers refuse; `ledger` reads back what they hold.

Entry points: `app.create_sandbox_app`, `server.serve` / `server.running_sandbox`,
`state.SandboxState`, and the seeded values in `demo_credentials`.
"""
