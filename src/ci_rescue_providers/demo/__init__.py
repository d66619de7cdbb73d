"""``ci-rescue demo``: the whole pipeline against the bundled GitHub simulator."""

from ci_rescue_providers.demo.run import DemoReport, run_demo

__all__ = ["DemoReport", "run_demo"]
