from .guide import GuidePage
from .home import HomePage
from .organization import Organization

__all__ = ["GuidePage", "HomePage", "Organization"]
