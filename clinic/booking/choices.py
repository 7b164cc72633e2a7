"""The answers parents choose from, shared by the booking form, walk-ins and the figures."""

SCHOOL_YEARS = ["Reception"] + [f"Year {n}" for n in range(1, 14)]

# (value stored, label shown). Values are stable: figures and guidance links key on them.
TOPICS = [
    ("iphone-ipad", "iPhone or iPad"),
    ("android", "Android phone or tablet"),
    ("consoles", "Games consoles (PlayStation, Xbox, Nintendo Switch)"),
    ("discord", "Discord"),
    ("random-chat", "Random chat sites (like Omegle)"),
    ("tiktok", "TikTok"),
    ("roblox", "Roblox"),
    ("youtube", "YouTube"),
    ("whatsapp", "WhatsApp"),
    ("snapchat", "Snapchat"),
    ("instagram", "Instagram"),
    ("home-broadband", "Home broadband and Wi-Fi (filters on your router)"),
    ("other", "Something else"),
]
TOPIC_LABELS = dict(TOPICS)
