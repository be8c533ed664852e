"""gradus.torch — random-LTD and the LayerToken learning rate for a PyTorch decoder (docs/pytorch.md).

- ``RandomLTD``: random layerwise token dropping over chosen layers of a decoder's layer stack.
- ``LayerTokenLR``: a ``torch.optim.lr_scheduler`` driven by the layer-tokens ``RandomLTD`` counted.
"""

from .lr import LayerTokenLR
from .random_ltd import RandomLTD

__all__ = ["RandomLTD", "LayerTokenLR"]
