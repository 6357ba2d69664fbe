"""Data from other systems (weather, news, geological-hazard warnings, traffic): connectors that poll an HTTP JSON
URL or receive a webhook, map the fields they need, and keep the latest values in Redis for the wall."""
