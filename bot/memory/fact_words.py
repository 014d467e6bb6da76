"""The word lists the fact rules read with: what is not a thing or a place, the relations a name can belong
to, the jobs "I'm a ..." may name, and the words that tell a liked thing's category."""

from __future__ import annotations

NOT_A_THING = {"they", "she", "he", "we", "i", "im", "i'm", "which", "because", "cause", "it", "its", "it's",
               "this", "that", "these", "those", "you", "u", "ya", "yall", "y'all", "him",
               "her", "them", "when", "how", "what", "being", "everything", "everyone", "everybody", "nothing",
               "me", "myself", "chat", "so", "to", "where", "who", "here", "there", "your", "ur", "his",
               "their", "our", "my", "the way", "a", "an", "one", "some", "any", "lots", "anything", "something",
               "all", "yours", "pip", "and", "or", "very", "much", "more", "less", "too", "really"}
CATEGORY_WORDS = (
    ("game", r"games?|gaming|rpgs?|roguelikes?|roguelites?|metroidvanias?|platformers?|soulslikes?|fps|mmos?|"
             r"shooters?|jrpgs?|minecraft|fortnite|zelda|mario|pokemon|pokémon|elden ring|dark souls|celeste|"
             r"hades|hollow knight|stardew valley|terraria|league of legends|valorant|overwatch|tetris"),
    ("film", r"movies?|films?|cinema|rom-?coms?|documentar(?:y|ies)|horror|thrillers?|sci-?fi|anime|cartoons?"),
    ("music", r"music|songs?|bands?|albums?|rap|jazz|metal|rock|pop|lo-?fi|k-?pop|edm|techno|hip[- ]hop|"
              r"classical|country|punk|indie|synthwave|soundtracks?|singing|guitar|piano|drums"),
    ("stream", r"streams?|streamers?|vtubers?|speedruns?|speedrunning|twitch"),
    ("food", r"food|pizza|sushi|pasta|chocolate|coffee|tea|tacos?|curry|ramen|burgers?|cheese|ice cream|"
             r"cake|cookies|pineapple|noodles|fries|spicy|candy|donuts?|mushrooms?|olives|cilantro|coriander"),
)
REL = (r"(?:cat|kitten|kitty|dog|puppy|pup|doggo|pet|fish|goldfish|hamster|rabbit|bunny|bird|parrot|budgie|snake|"
       r"lizard|gecko|turtle|tortoise|horse|pony|guinea pig|ferret|rat|mouse|axolotl|sister|brother|sis|bro|mom|"
       r"mum|mother|dad|father|son|daughter|wife|husband|girlfriend|gf|boyfriend|bf|partner|fiance|fiancee|"
       r"best friend|bestie|kid|baby|cousin|aunt|uncle|grandma|grandpa|nan|roommate|flatmate|twin|plant|car|"
       r"guitar|bike|pc|computer)")
ADJ = r"(?:(?:new|old|little|big|baby|older|younger|elder|twin|other|second|first|youngest|oldest|fat|lazy|" \
      r"tiny|black|white|orange|grey|gray|cute|sweet|fluffy)\s+)?"
PEOPLE = {"sister", "brother", "sis", "bro", "mom", "mum", "mother", "dad", "father", "son", "daughter", "wife",
          "husband", "girlfriend", "gf", "boyfriend", "bf", "partner", "fiance", "fiancee", "best friend",
          "bestie", "kid", "baby", "cousin", "aunt", "uncle", "grandma", "grandpa", "nan", "roommate",
          "flatmate", "twin"}
NOT_A_PLACE = {"a", "an", "my", "it", "it's", "its", "here", "there", "this", "that", "bed", "denial", "fear",
               "peace", "hope", "chat", "the", "real", "game", "your", "ur", "his", "her", "their", "our", "fact",
               "general", "secret", "silence", "pain", "love", "hell", "heaven", "space", "school", "work", "home",
               "mine", "someone", "somewhere", "nowhere", "another", "each", "every", "all", "one", "same"}
SHORT_UPPER = {"uk", "us", "usa", "uae", "nyc", "la", "eu", "dc", "sf", "nz"}
JOBS = (r"nurse|teacher|developer|programmer|engineer|student|chef|cook|doctor|dentist|lawyer|accountant|"
        r"designer|artist|writer|barista|bartender|waiter|waitress|cashier|pharmacist|electrician|plumber|"
        r"carpenter|mechanic|firefighter|paramedic|police officer|cop|soldier|pilot|driver|trucker|"
        r"farmer|baker|librarian|scientist|researcher|analyst|consultant|manager|musician|photographer|"
        r"vet|veterinarian|therapist|streamer|editor|animator|translator|journalist|architect|cleaner|"
        r"janitor|receptionist|tutor|professor|lecturer|surgeon|midwife|caregiver|carer|welder|miner|"
        r"sysadmin|tester|intern|freelancer|streamer|babysitter|nanny|security guard|postman|courier|"
        r"data scientist|game dev|gamedev|dev|coder|hairdresser|barber|tattoo artist|florist|butcher|"
        r"fisherman|zookeeper|lifeguard|coach|personal trainer|dancer|actor|actress|illustrator")
