"""The word lists and pattern pieces the fact rules read with: what is not a thing or a place, the relations a
name can belong to, the jobs "I'm a ..." may name, the words that tell a liked thing's category, and where a
statement's subject starts and its object ends."""

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
NOT_A_PLACE = {"now", "then", "here", "there", "time", "today", "what", "scratch", "behind", "above", "below",
               "experience", "memory", "day", "start", "beginning", "who", "which", "where", "personal",
               "a", "an", "my", "it", "it's", "its", "this", "that", "bed", "denial", "fear",
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

# Where a first-person statement may start: a clause's start, or after chat's fillers and interjections.
LEAD = r"(?:^|[,;:]\s*|\b(?:told you|said|say|mentioned|meant|mean)\s+(?:that\s+)?|" \
        r"\b(?:and|so|also|honestly|ngl|tbh|lol|lmao|omg|actually|well|yeah|yes|oh|because|cause|cuz|" \
        r"plus|now|but|like|ok|okay|still|update|correction|sorry|oops|wait|hey|hi|hello|chat|guys|btw|fyi|no|nah|" \
       r"bruh|welp|anyway|anyways|ew+|ugh+|yuck|man|dude|bro|fr)\s+)"
ADVERBS = r"(?:(?:really|absolutely|totally|just|also|kinda|kind of|sorta|so|truly|genuinely|honestly|still|do|" \
           r"definitely|lowkey|low key|seriously|actually|fucking|freaking|now|literally|reaaally|rly|legit|" \
           r"personally|always|much prefer|especially)\s+)*"
# Where an object ends: punctuation, a new clause, or chat filler.
END = r"(?=\s*[,.;!?()\[\]:]|\s*$|\s+(?:but|because|cause|cuz|since|when|whenever|so|though|tho|lol|lmao|haha+|" \
       r"ngl|tbh|honestly|too|as well|more than|while|in my|on my|at my|with my|every|on weekends|" \
       r"in the evenings?|and i|and my|and im|and i'm|rn|right now|these days|nowadays|" \
       r"anymore|any more|now|a lot|so much|very much|sm|xd|fr|btw|atm|if|with|for|from|since|ever since|" \
       r"last|this|next|ago|years ago|already|recently|lately|hands down|all day|no offense|fight me|" \
       r":\)|:D|<3)\b|\s*[\U0001F300-\U0001FAFF\u2600-\u27BF])"
OBJECT = r"(?P<obj>[\w'&+#:-][\w'&+#:. -]{0,60}?)" + END
