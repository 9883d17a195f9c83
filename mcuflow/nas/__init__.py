"""TinyNAS: find the most accurate model that fits a board, with the project's planner in the loop.

Modules (torch is imported only by the training side):

* :mod:`.space` -- elastic MobileNetV2 / ProxylessNAS space (kernel {3,5,7}, expand {3,4,6},
  depth {2,3,4}) and (width x resolution) candidate spaces; the layer list everyone reads;
* :mod:`.graph_export` -- subnet -> int8 Graph (skeleton for the planner, or the real model);
* :mod:`.memory` -- board budgets and the memory check (real planner, fast strategy);
* :mod:`.search` -- search-space optimization (FLOPs CDFs) and evolutionary search;
* :mod:`.supernet`, :mod:`.train`, :mod:`.data` -- weight-sharing supernet, sandwich-rule
  training (resumable, seeded, DDP under torchrun), offline datasets;
* :mod:`.export` -- BN folding, int8 post-training quantization, TF Lite Micro accuracy;
* :mod:`.pipeline` -- ``mcuflow nas run``; :mod:`.cli` -- the ``mcuflow nas`` commands;
* :mod:`.zoo` -- the table of ``models/*.json`` cards.
"""
