from .guide import GuidePage
from .home import HomePage
from .organization import Organization
from .reviews import ReviewReminder

__all__ = ["GuidePage", "HomePage", "Organization", "ReviewReminder"]
