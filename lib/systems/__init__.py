"""Models of systems: what a computation costs and how requests flow.

* :mod:`lib.systems.costmodel` — the one analytic cost model of transformer inference, published model shapes
  and accelerator datasheets;
* :mod:`lib.systems.sim` — discrete-event simulation for serving and scheduling;
* :mod:`lib.systems.overlap` — spawned ``torch.distributed`` (gloo) workers timing compute against all-reduce;
* :mod:`lib.systems.energy` — published per-operation energies and the Landauer bound.
"""
