"""Keyword tables for the ``tool_usage`` slots (see :mod:`adr_graph.extract.lexicon`).

>>> from adr_graph.extract.lexicon import pick_labels
>>> pick_labels("Book a flight from Paris to Tokyo next Monday.", OBJECTIVES)
['travel booking']
"""

from __future__ import annotations

from collections.abc import Mapping

from adr_graph.extract.lexicon import Lexicon

__all__ = ["CLASS_OBJECTIVES", "CLASS_TOOLS", "OBJECTIVES"]

OBJECTIVES: Lexicon = {
    "math computation": (
        ("calculate", "compute", "area", "sum", "derivative", "integral", "equation",
         "factorial", "square root", "logarithm", "probability", "average", "mean",
         "standard deviation", "prime", "gcd", "lcm", "polynomial", "triangle", "circle",
         "matrix", "quadratic", "roots?", "percentage", "math"), ("number",)),
    "file management": (
        ("file", "directory", "folder", "grep", "copy", "move", "rename", "txt", "pdf",
         "document"), ()),
    "travel booking": (
        ("flight", "hotel", "book", "booking", "trip", "travel", "airport", "reservation",
         "itinerary", "vacation", "car rental", "train", "ride", "uber"), ()),
    "finance/trading": (
        ("stock", "shares?", "trading", "portfolio", "invest(?:ment)?", "interest", "loan",
         "mortgage", "tax", "currency", "exchange rate", "bank", "dividend", "crypto",
         "bitcoin", "market", "price", "revenue", "profit", "dollars?", "euros?", "pounds",
         "payment", "invoice", "salary"), ()),
    "weather lookup": (("weather", "temperature", "forecast", "rain", "humidity",
                        "climate"), ()),
    "messaging/social media": (
        ("message", "tweet", "twitter", "post", "email", "send", "social media", "comment",
         "follower", "slack", "contact"), ()),
    "vehicle control": (("car", "vehicle", "engine", "brake", "tire", "fuel", "headlights",
                         "door", "cruise control", "drive"), ()),
    "information lookup": (
        ("search", "look up", "lookup", "information", "wikipedia", "fact", "news",
         "population", "capital"), ("find", "who", "what", "history")),
    "entertainment": (
        ("song", "music", "movie", "film", "play", "game", "concert", "artist", "album",
         "playlist", "spotify", "tv show", "episode", "book"), ()),
    "health": (
        ("health", "doctor", "medical", "symptom", "disease", "calorie", "bmi", "fitness",
         "diet", "medicine", "hospital", "patient", "nutrition", "workout"), ()),
    "sports": (("team", "player", "league", "match", "score", "nba", "football", "soccer",
                "basketball", "tournament"), ()),
    "shopping/e-commerce": (("buy", "order", "purchase", "product", "shop", "store", "cart",
                             "delivery", "restaurant", "recipe"), ()),
    "geography/maps": (("distance", "location", "address", "route", "map", "coordinates",
                        "latitude", "longitude", "directions", "city"), ()),
    "science": (("chemical", "physics", "biology", "gene", "dna", "cell", "molecule",
                 "velocity", "force", "energy", "planet", "species"), ()),
    "legal": (("law", "legal", "court", "case", "lawsuit", "attorney"), ()),
    "scheduling/calendar": (("schedule", "meeting", "calendar", "appointment", "event",
                             "reminder", "alarm"), ()),
    "customer support": (("ticket", "support", "complaint", "refund", "issue"), ()),
    "software development": (
        ("java", "javascript", "react", "component", "class", "method", "instance", "compile",
         "decompiler", "function", "variable", "json", "xml", "api", "code", "repository",
         "git", "debug", "array", "object", "attribute", "element", "string"), ()),
    "data analysis": (
        ("dataset", "regression", "t-test", "statistics", "statistical", "csv",
         "correlation", "model", "predict", "sentiment", "classify"), ()),
    "smart home/devices": (
        ("bluetooth", "speaker", "thermostat", "device", "smart", "air conditioner", "tv",
         "washing machine", "light", "volume"), ()),
    "system administration": (("server", "cluster", "deploy", "database", "api key",
                               "kubernetes", "docker", "configuration", "log"), ()),
}

#: BFCL multi-turn class -> description of the tool family.
CLASS_TOOLS: Mapping[str, str] = {
    "GorillaFileSystem": "a simulated Unix-like file system: ls, cd, mkdir, mv, cp, grep, "
                         "sort, diff and similar commands",
    "MathAPI": "arithmetic and statistics functions",
    "MessageAPI": "an in-app messaging service: log in, send, view and delete messages",
    "TwitterAPI": "a social media posting service: post, retweet, comment, follow",
    "PostingAPI": "a social media posting service: post, retweet, comment, follow",
    "TicketAPI": "a support ticket system: create, get, resolve and close tickets",
    "TradingBot": "a stock trading service: quotes, orders, watchlists, account balance",
    "TravelAPI": "a travel booking service: flights, cost estimates, insurance, invoices",
    "VehicleControlAPI": "car controls: doors, engine, lights, climate, navigation",
    "MemoryAPI": "a memory store the assistant can write to and recall from",
    "WebSearchAPI": "web search and page fetching",
}

#: BFCL multi-turn class -> objective it serves.
CLASS_OBJECTIVES: Mapping[str, str] = {
    "GorillaFileSystem": "file management",
    "MathAPI": "math computation",
    "MessageAPI": "messaging/social media",
    "TwitterAPI": "messaging/social media",
    "PostingAPI": "messaging/social media",
    "TicketAPI": "customer support",
    "TradingBot": "finance/trading",
    "TravelAPI": "travel booking",
    "VehicleControlAPI": "vehicle control",
    "MemoryAPI": "personal memory recall",
    "WebSearchAPI": "information lookup",
}
