"""Federated learning of the per-muscle segmenter: a versioned, gated model store
(:mod:`.store`), an aiohttp server (:mod:`.server`) and a stdlib client (:mod:`.client`).
Only model weights travel; images and masks never leave a site."""
