"""What Discord shows when the demo seeds are replayed, written out by hand from the seed files, so that a bug
in the code under test (names, footers, order) cannot also change what the tests expect."""

CAFE_TITLE = "Café Zürich Closes After 62 Years as Regulars Say Goodbye"
# Comment 10's author "Zoë_Ş" keeps its underscore; comment 6 (Chen Wei) has a dated header and no picture line.
CAFE_NAMES = ["Gus 'the Rook' Malone", "Nadia Haddad", "Gus 'the Rook' Malone", "ana-lucía", "Tom Nguyen",
              "Chen Wei", "Tom Nguyen", "Quiet Reader", "Nadia Haddad", "Zoë_Ş"]
CAFE_FOOTERS = ["-# #1", "-# #2", "-# #3 · not verified · Jun 20, 2024 9:45 AM", "-# #4", "-# #5",
                "-# #6 · not verified · Jun 20, 2024 11:02 AM", "-# #7", "-# #8",
                "-# #9 · not verified · Jun 20, 2024 1:15 PM", "-# #10"]

LIGHTHOUSE_TITLE = "Lighthouse Keepers' Logbooks Fill a Gap in 1890s Weather Records"
# Comment 3 (weather_nerd_1987) is long enough for two messages.
LIGHTHOUSE_NAMES = ["Fiona Moir-Hastings", "Ravi", "weather_nerd_1987", "Ravi", "Jürgen Weiß", "Fiona Moir-Hastings",
                    "skeptic'sCorner", "weather_nerd_1987", "李明", "Ravi"]
LIGHTHOUSE_MESSAGE_NAMES = ["Fiona Moir-Hastings", "Ravi", "weather_nerd_1987", "weather_nerd_1987", "Ravi",
                            "Jürgen Weiß", "Fiona Moir-Hastings", "skeptic'sCorner", "weather_nerd_1987", "李明",
                            "Ravi"]

NIGHT_MARKET_TITLE = "Town Council Votes to Turn Old Rail Depot Into a Night Market"
# "DiscordDan" and "everyone" are names Discord refuses for a webhook message: shown as below.
NIGHT_MARKET_NAMES = ["marta_k", "Old Grumbler", "Dev-Patel-42", "Old Grumbler", "Sam O'Brien", "marta_k",
                      "Hélène Dubois", "Old Grumbler", "Dana's Neighbour", "Disc-ordDan", "Dev-Patel-42", "night owl",
                      "everyone (commenter)", "Sam O'Brien"]
