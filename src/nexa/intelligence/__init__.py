"""The intelligence: pure algorithms (features, models, explanations, routing rules, forecasts,
enrichment) called by the domain services. Nothing here talks HTTP or renders pages, and
nothing is downloaded: every model is trained on the organization's own records."""
