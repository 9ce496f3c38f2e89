"""The edge service (`salesagent serve`): the product's one HTTP surface, routes and pages
only; every use case it serves lives in `services/`.

Two surfaces, served apart so a deployment publishes only the first: public (the one-click
unsubscribe, later the HubSpot webhook; each authenticated by its own signature) and
internal (later the review desk and `/metrics`). `edge.app` builds either, or both.
"""
