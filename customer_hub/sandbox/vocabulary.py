"""Word lists the seeded world is built from.

Common first and last names are deliberately over-represented so that strangers share names, as they do in a real
customer base of a few thousand. The EXTRA_ lists are what a larger world draws on as well (see `population.py`): a
customer base twenty times the size holds more distinct names, not twenty times as many people per name.
"""


def _words(text: str) -> tuple[str, ...]:
    """The words of a long list written as one block of text."""
    return tuple(text.split())


COMMON_FIRST_NAMES = ("John", "Michael", "David", "Sarah", "Jennifer", "Maria", "James", "Anna", "Robert", "Laura")
FIRST_NAMES = COMMON_FIRST_NAMES + (
    "Aaron",
    "Abigail",
    "Adrian",
    "Aisha",
    "Alan",
    "Alejandro",
    "Alice",
    "Amir",
    "Andrea",
    "Angela",
    "Arjun",
    "Ben",
    "Bianca",
    "Brandon",
    "Caroline",
    "Carlos",
    "Chen",
    "Chloe",
    "Chris",
    "Claire",
    "Daniel",
    "Diana",
    "Dmitri",
    "Elena",
    "Elif",
    "Emily",
    "Emma",
    "Eric",
    "Fatima",
    "Felix",
    "Fiona",
    "Gabriel",
    "Grace",
    "Hannah",
    "Hiroshi",
    "Ian",
    "Ines",
    "Isaac",
    "Ivan",
    "Jack",
    "Jasmine",
    "Javier",
    "Jessica",
    "Joanna",
    "Jonas",
    "Jorge",
    "Julia",
    "Kai",
    "Karen",
    "Kevin",
    "Klaus",
    "Lars",
    "Leila",
    "Liam",
    "Lucas",
    "Lucy",
    "Maja",
    "Marco",
    "Mark",
    "Mei",
    "Mohammed",
    "Nadia",
    "Naveen",
    "Nina",
    "Noah",
    "Olivia",
    "Omar",
    "Oscar",
    "Paul",
    "Pedro",
    "Priya",
    "Rachel",
    "Rahul",
    "Rebecca",
    "Ricardo",
    "Rosa",
    "Ryan",
    "Samuel",
    "Sofia",
    "Sophie",
    "Stefan",
    "Tariq",
    "Thomas",
    "Tim",
    "Tomas",
    "Valentina",
    "Victor",
    "Wei",
    "William",
    "Yara",
    "Yusuf",
    "Zoe",
)
COMMON_LAST_NAMES = ("Smith", "Johnson", "Garcia", "Miller", "Brown", "Lee", "Martin", "Nguyen", "Müller", "Wilson")
LAST_NAMES = COMMON_LAST_NAMES + (
    "Adams",
    "Ahmed",
    "Alvarez",
    "Anderson",
    "Bailey",
    "Baker",
    "Becker",
    "Bennett",
    "Brooks",
    "Campbell",
    "Carter",
    "Castro",
    "Chen",
    "Clark",
    "Collins",
    "Cooper",
    "Costa",
    "Cruz",
    "Davies",
    "Diaz",
    "Dubois",
    "Edwards",
    "Evans",
    "Fischer",
    "Fernandez",
    "Fletcher",
    "Foster",
    "Gonzalez",
    "Gray",
    "Green",
    "Hall",
    "Hansen",
    "Harris",
    "Hoffmann",
    "Hughes",
    "Ivanov",
    "Jackson",
    "Jansen",
    "Kaur",
    "Keller",
    "Kim",
    "King",
    "Klein",
    "Kowalski",
    "Kumar",
    "Larsen",
    "Lopez",
    "Meyer",
    "Mitchell",
    "Moore",
    "Morgan",
    "Murphy",
    "Nakamura",
    "Nielsen",
    "O'Brien",
    "Okafor",
    "Olsen",
    "Parker",
    "Patel",
    "Perez",
    "Petrov",
    "Phillips",
    "Price",
    "Quinn",
    "Ramirez",
    "Reed",
    "Reyes",
    "Richter",
    "Rivera",
    "Roberts",
    "Rossi",
    "Russo",
    "Sanchez",
    "Santos",
    "Schmidt",
    "Schneider",
    "Scott",
    "Shah",
    "Silva",
    "Singh",
    "Sullivan",
    "Tanaka",
    "Taylor",
    "Thompson",
    "Turner",
    "Walker",
    "Wang",
    "Watson",
    "Weber",
    "White",
    "Wright",
    "Yamamoto",
    "Young",
    "Zhang",
)

EXTRA_FIRST_NAMES = _words(
    """
Adam Ada Adele Adrienne Agnes Ahmad Aiden Akira Alba Albert Aleksandra Alex Alexander Alexandra Alexis Alfie Ali
Alina Alison Allison Alma Amanda Amara Amelia Amy Ana Anders Andrew Andre Andrzej Angus Anika Anita Ann Anne Annika
Anthony Antoine Anton Antonio Arash Ari Ariana Arnav Arthur Asha Astrid Aurelia Ava Axel Ayesha Barbara Beatriz
Benedict Benjamin Bernard Beth Björn Blake Bogdan Boris Brenda Brian Bridget Bruno Caleb Camila Camille Cara Carl
Carla Carmen Carol Cassandra Catalina Catherine Cecilia Celine Charles Charlotte Chiara Christian Christina
Christine Christopher Clara Claudia Colin Connor Cristina Dalia Damian Dan Daniela Darius Darren Dave Dawn Deborah
Declan Deepak Denise Dennis Derek Devon Diego Dina Dominic Donald Donna Dora Dylan Ebony Edgar Edith Eduardo Edward
Eileen Eleanor Elias Elijah Elisa Elizabeth Ella Ellen Eloise Emil Emilia Enrique Erik Erin Esther Ethan Eva Evan
Ezra Farah Fatih Federico Felipe Fernando Filip Florian Frances Francesca Francis Frank Freya Frida Gareth Gary
Gemma George Georgia Gerald Gianna Gina Giorgio Giulia Gloria Gordon Greta Gustavo Hamza Hans Harriet Harry Hassan
Heather Hector Heidi Helen Helena Henrik Henry Hugo Ida Ilya Imran Ingrid Irene Isabel Isabella Ishaan Ivy Jacob
Jade Jake Jamal Jan Jana Jane Janet Jason Javed Jay Jean Jeff Jenna Jeremy Jerome Jill Joan Joao Joe Johan Jonathan
Jordan Jose Joseph Joshua Joy Juan Judith Julian Julie Justin Kamal Kara Karim Karl Kate Katharina Kathleen Katie
Keith Kenji Kenneth Kerry Khalid Kim Kiran Kirsten Kofi Krishna Kristin Kurt Kwame Lakshmi Lara Laurent Lea Leah Leo
Leon Leonardo Lily Linda Lisa Lorenzo Louis Louise Luis Luisa Luke Lydia Magnus Mahmoud Malik Manuel Marcel Marcus
Margaret Mariana Marie Marina Mario Marta Martin Martina Mary Mateo Mathias Matilda Matteo Matthew Max Maya Megan
Melissa Mia Michelle Miguel Mikael Mila Milan Miriam Mohan Monica Morgan Nadine Naomi Natalia Natasha Nathan Neil
Nicholas Nicola Nicole Niklas Nikolai Nora Oliver Olga Otto Pablo Pamela Patricia Patrick Paula Pavel Peter Philip
Philippe Pierre Pietro Quentin Rafael Ravi Raymond Renata Richard Rita Robin Roger Roman Rory Rosalind Ruby Rui Ruth
Sabrina Salma Sam Samantha Sana Sandra Santiago Sara Sean Sebastian Selin Sergei Seth Shanti Sharon Sheila Shirin
Silvia Simon Simone Siobhan Sonia Stella Stephanie Steven Susan Svetlana Sven Tamara Tanya Teresa Theo Theodore
Tobias Todd Tom Tony Tracy Trevor Ulrike Uma Ursula Vanessa Vera Veronica Vikram Vincent Viola Vivian Walter Wanda
Wendy Xavier Yasmin Yuki Yuri Zara Zain Zofia
"""
)
"""Given names beyond FIRST_NAMES, taken into the pool as the world grows (none repeats FIRST_NAMES)."""
EXTRA_LAST_NAMES = _words(
    """
Abbott Acosta Aguilar Ali Allen Andersen Armstrong Arnold Ashworth Atkinson Austin Bachmann Banerjee Barker Barnes
Bauer Bell Berg Bernard Bianchi Blanc Bose Boyle Brandt Braun Brennan Burke Burns Byrne Caldwell Carlsson Carroll
Chan Chapman Chatterjee Cho Choi Christensen Colombo Conti Cohen Cole Conway Cunningham Dalton Das Dawson Dean
Delgado Dixon Dominguez Doyle Duarte Duncan Dunn Eriksson Esposito Farrell Ferrari Ferreira Fitzgerald Flores Ford
Fournier Fox Francis Fraser Fuchs Gallagher Garnier Gibson Gill Gomez Gordon Graham Grant Gupta Gustafsson Haas
Hamilton Hart Hayes Henderson Herrera Hill Ho Holland Horvat Howard Huber Hunt Ito Iyer Jensen Jimenez Johansson
Jones Jovanovic Kaiser Kelly Kennedy Khan Koch Kovacs Kraus Kruger Lambert Lang Larsson Lehmann Leroy Lewis Lindberg
Lindqvist Lombardi Long Lorenz Lund Lynch Ma Mahmoud Maier Marino Marshall Martinez Mason Matthews Mendes Mendoza
Menon Mertens Moreau Moreno Morris Murray Nair Nash Navarro Neumann Novak Nowak O'Connor O'Neill Oliveira Ortiz Owen
Palmer Park Pereira Peters Petersen Pham Pillai Popescu Porter Powell Rao Reid Ricci Robinson Rodriguez Rojas Romano
Rose Ross Roy Ruiz Ryan Saito Salazar Sato Schulz Schwarz Sen Shaw Simon Sokolov Sorensen Stewart Suzuki Svensson
Thomas Torres Tran Vargas Vasquez Vogel Wagner Wallace Walsh Ward Webb Wells West Wolf Wood Wu Yang Yilmaz
Zimmermann
"""
)
"""Family names beyond LAST_NAMES, taken into the pool as the world grows (none repeats LAST_NAMES)."""
SURNAME_ROOTS = _words(
    """
Ash Black Brad Brook Cald Chad Cran Craw Dun Elm Fair Gar Hal Hart Hol Kings Lang Lin Mar Mid Nor Pem Ray Red Rock
Ros Sand Shel Stan Stock Thorn Wal Wel West Whit Win Wood Wy
"""
)
SURNAME_ENDINGS = ("ford", "ley", "ton", "wood", "well", "field", "ham", "by", "more", "worth", "stone", "brook",
                   "dale", "hurst", "combe", "ridge", "wick", "shaw")  # fmt: skip
"""Place-name surnames ('Ashford', 'Thornley', 'Whitcombe') for the largest worlds, past the written-out lists."""

COMPANY_WORDS = (
    "Acorn",
    "Alder",
    "Alpine",
    "Amber",
    "Anchor",
    "Apex",
    "Arbor",
    "Arrow",
    "Aspen",
    "Atlas",
    "Aurora",
    "Beacon",
    "Birch",
    "Blue",
    "Bluebird",
    "Bold",
    "Bright",
    "Brook",
    "Canyon",
    "Cedar",
    "Cobalt",
    "Compass",
    "Copper",
    "Coral",
    "Crescent",
    "Crimson",
    "Crystal",
    "Cypress",
    "Delta",
    "Drift",
    "Eagle",
    "Echo",
    "Elm",
    "Ember",
    "Evergreen",
    "Falcon",
    "Fern",
    "Firefly",
    "Flint",
    "Forge",
    "Fox",
    "Frontier",
    "Garnet",
    "Glacier",
    "Golden",
    "Granite",
    "Harbor",
    "Hawk",
    "Hazel",
    "Horizon",
    "Indigo",
    "Iris",
    "Iron",
    "Ivory",
    "Jade",
    "Juniper",
    "Keystone",
    "Lantern",
    "Laurel",
    "Linden",
    "Lumen",
    "Lunar",
    "Maple",
    "Marble",
    "Meadow",
    "Meridian",
    "Mesa",
    "Nimbus",
    "North",
    "Nova",
    "Oak",
    "Ocean",
    "Onyx",
    "Orbit",
    "Orchid",
    "Pacific",
    "Peak",
    "Pine",
    "Pioneer",
    "Polar",
    "Prairie",
    "Quartz",
    "Radiant",
    "Raven",
    "Redwood",
    "Ridge",
    "River",
    "Rocket",
    "Sage",
    "Sapphire",
    "Silver",
    "Sky",
    "Slate",
    "Solar",
    "Spruce",
    "Star",
    "Sterling",
    "Stone",
    "Summit",
    "Swift",
    "Thunder",
    "Tidal",
    "Timber",
    "Trail",
    "True",
    "Umber",
    "Valley",
    "Vantage",
    "Velvet",
    "Vista",
    "Willow",
    "Wolf",
    "Zenith",
)
COMPANY_NOUNS = (
    "Analytics",
    "Bakery",
    "Bio",
    "Brands",
    "Build",
    "Capital",
    "Cloud",
    "Consulting",
    "Data",
    "Design",
    "Devices",
    "Dynamics",
    "Energy",
    "Engineering",
    "Foods",
    "Freight",
    "Health",
    "Holdings",
    "Industries",
    "Insights",
    "Labs",
    "Legal",
    "Logistics",
    "Manufacturing",
    "Media",
    "Medical",
    "Metrics",
    "Mobility",
    "Networks",
    "Outfitters",
    "Partners",
    "Pharma",
    "Robotics",
    "Security",
    "Software",
    "Solutions",
    "Studio",
    "Systems",
    "Technologies",
    "Textiles",
    "Therapeutics",
    "Trading",
    "Travel",
    "Ventures",
    "Works",
)
EXTRA_COMPANY_NOUNS = _words(
    """
Advisory Architects Automation Aviation Brewing Catering Chemicals Clinic Coaching Collective Communications
Contractors Dental Digital Distribution Education Electric Environmental Farms Fashion Finance Fitness Furniture
Games Gardens Imaging Imports Instruments Interiors Landscaping Learning Lighting Machinery Marine Marketing
Materials Mining Motors Music Nutrition Packaging Paper Pets Photography Plumbing Power Properties Publishing Realty
Recruiting Renewables Research Resources Retail Roofing Sciences Shipping Staffing Storage Supply Telecom Tools
Transport Water Wellness Aerospace Agency Apparel Courier Dairy Estates Flooring Glassworks Hospitality Jewelry
Kitchens Leather Lumber Outdoor Pottery Vending Veterinary Yachts Orchestra Bikes Candles Coffee Textbooks Toys
Acoustics Appliances Art Autos Beverages Boats Bridal Cabinetry Cargo Carpentry Childcare Cinema Crafts Cycling
Dance Decor Diving Drones Eyewear Fabrics Ferries Flowers Footwear Fuel Genomics Gifts Golf Graphics Grocers
Hardware Heating Hotels Hydraulics Infrastructure Irrigation Kayaks Knitwear Linens Locksmiths Luggage Masonry Meats
Mortgage Moving Nursery Orthopedics Payments Perfumes Produce Radio Remodeling Rugs Safety Salons Seafood Seeds
Skincare Surgical Surveying Tea Tents Theatre Towing Trucking Vehicles Yoga
"""
)
"""Lines of business beyond COMPANY_NOUNS, taken in as the world grows; again no near-spellings."""
EXTRA_COMPANY_WORDS = _words(
    """
Abbey Acacia Admiral Adobe Aegis Agate Albatross Alchemy Almond Alpaca Altitude Amethyst Anthem Anvil Apollo Apricot
Aquila Archer Argent Argo Armada Artisan Ash Aster Atrium Augusta Avalon Axiom Azalea Balsam Bamboo Banner Basalt
Bastion Bay Beaver Bellwether Beryl Bison Blossom Bonfire Bramble Brass Bristle Bronze Buckeye Buffalo Bulwark Butte
Cactus Caliber Cambium Camden Camellia Candle Canopy Caravan Cardinal Carillon Carmine Cascade Catalyst Celadon
Celestial Centaur Chalk Champion Chestnut Chimera Cinder Cirrus Citadel Clover Cobble Comet Condor Conifer
Constellation Cornerstone Cottonwood Cougar Covenant Coyote Creekside Crown Cumulus Dahlia Dawn Daybreak Deer
Dolphin Dove Dragonfly Dune Dusk Eastwind Eclipse Edelweiss Elkhorn Emerald Empire Endeavor Envoy Equinox Everest
Fathom Feather Fieldstone Finch Fjord Flagship Flora Foothill Fortress Foundry Fountain Freedom Galleon Gateway
Genesis Geyser Globe Gondola Grove Guardian Gull Hamlet Harvest Hawthorn Helix Heritage Heron Hickory Highland
Hilltop Hollow Homestead Honeybee Hummingbird Icefield Impala Inkwell Inlet Jaguar Javelin Jetty Jubilee Kestrel
Kingfisher Kite Knight Knoll Lagoon Lakeshore Landmark Lattice Lavender Legacy Lighthouse Lilac Lionheart Lodestar
Lotus Lynx Magnolia Majestic Mallard Mammoth Mantis Marigold Marlin Matrix Mayflower Midland Millpond Minaret Mirage
Monarch Monolith Moraine Mosaic Mulberry Mustang Myrtle Narwhal Nautilus Nectar Nest Nightingale Nutmeg Oasis
Obsidian Octave Odyssey Olive Olympus Opal Orca Osprey Otter Outpost Overland Owl Paladin Palisade Pebble Pelican
Pennant Peregrine Pewter Phoenix Pilgrim Pinnacle Plateau Prism Puffin Pyramid Quarry Rampart Ranger Rapids Redbird
Reef Regal Relay Roadrunner Robin Ruby Saffron Sapling Sentinel Sequoia Serenity Shamrock Shoreline Sierra Signal
Snowdrop Solstice Sphinx Springfield Steadfast Steppe Stork Strata Sunflower Sunrise Sycamore Tamarack Tandem
Tangerine Tempest Terrace Topaz Tortoise Tower Triton Trinity Tulip Twilight Unity Upland Vertex Viking Vineyard
Voyager Walnut Waterfall Waypoint Whistler Windmill Woodland Wren Yellowstone Yew Zephyr Acre Alto Angora Arctic
Auburn Aviary Ballast Banyan Baobab Barley Beech Bergamot Blizzard Bobcat Borealis Bracken Breeze Buckthorn Cairn
Calypso Canary Caspian Cayenne Chinook Cinnabar Cliffside Cloudberry Comfrey Cormorant Corsair Crocus Cyan Cypher
Dakota Damask Darby Denali Dolomite Drumlin Dynamo Easel Ebony Elbrus Encore Epoch Fiddle Figtree Firth Flamingo
Flax Fresco Fuchsia Gambit Garland Ginger Gorse Grizzly Gryphon Gusto Hadley Harbinger Hearth Hemlock Henna Hibiscus
Hyacinth Icarus Indus Infinity Jackal Jubilant Juno Kelp Kiln Kodiak Kudu Lemur Lichen Lindisfarne Llama Lyric
Madrona Mako Malachite Maverick Mercury Mongoose Muskox Nebula Neptune Nettle Nomad Nordic Nugget Ocelot Oriole
Outback Paddock Pampas Papyrus Pascal Peach Pegasus Pentagon Pepper Pilot Plaza Primrose Prospect Pumice Quasar
Quince Radish Raptor Rattan Rhubarb Roost Runway Russet Salvia Savanna Scarab Scout Sedona Shepherd Sherwood Silo
Sorrel Squall Stallion Stirrup Sundial Teal Tidewater Trojan Tuscan Uplift Urchin Vega Velox Verbena Vesper Vireo
Vulcan Wagtail Walrus Wayfarer Wharf Whippet Wildcat Windward Wolverine Yukon Zebra Zinc Zodiac
"""
)
"""Name words beyond COMPANY_WORDS, taken in as the world grows; none is a near-spelling of another word here
(a typo must not turn one company's name into another's more often than in a small world)."""

LEGAL_SUFFIXES = ("Inc", "Inc.", "Corp", "Corporation", "LLC", "Ltd", "GmbH", "Co.", "")

# (city, region, postal code, country code, phone country prefix, area code)
CITIES = (
    ("San Francisco", "CA", "94107", "US", "1", "415"),
    ("New York", "NY", "10013", "US", "1", "212"),
    ("Austin", "TX", "78701", "US", "1", "512"),
    ("Chicago", "IL", "60607", "US", "1", "312"),
    ("Denver", "CO", "80202", "US", "1", "303"),
    ("Seattle", "WA", "98101", "US", "1", "206"),
    ("Boston", "MA", "02110", "US", "1", "617"),
    ("Atlanta", "GA", "30303", "US", "1", "404"),
    ("Toronto", "ON", "M5V 2T6", "CA", "1", "416"),
    ("London", "", "EC2A 4NE", "GB", "44", "20"),
    ("Manchester", "", "M1 1AE", "GB", "44", "161"),
    ("Berlin", "", "10115", "DE", "49", "30"),
    ("Munich", "", "80331", "DE", "49", "89"),
    ("Amsterdam", "", "1012 AB", "NL", "31", "20"),
    ("Paris", "", "75002", "FR", "33", "1"),
    ("Dublin", "", "D02 X285", "IE", "353", "1"),
    ("Sydney", "NSW", "2000", "AU", "61", "2"),
)
STREETS = (
    "Market St",
    "Main St",
    "Oak Ave",
    "Mission St",
    "King St",
    "High St",
    "Harbor Blvd",
    "Elm St",
    "Park Ave",
    "Broadway",
    "Station Rd",
    "Mill Lane",
    "Hauptstraße",
    "Canal St",
    "Queen St",
)
STREET_TYPES = ("St", "Ave", "Rd", "Lane", "Way", "Blvd", "Drive", "Court", "Place")
"""With COMPANY_WORDS, the streets a larger world's cities have beyond STREETS ('Cedar Lane', 'Harbor Court')."""

PERSONAL_EMAIL_DOMAINS = (
    "gmail.com",
    "gmail.com",
    "gmail.com",
    "yahoo.com",
    "outlook.com",
    "hotmail.com",
    "icloud.com",
    "proton.me",
)
ROLE_MAILBOXES = ("billing", "finance", "accounts", "ap", "invoices")
JOB_TITLES = (
    "CEO",
    "CTO",
    "Head of Operations",
    "Finance Manager",
    "Office Manager",
    "VP Sales",
    "Engineer",
    "Product Manager",
    "Controller",
    "Founder",
    "Marketing Lead",
    "IT Administrator",
    "COO",
    "Analyst",
)

# Subscription catalogue: (product name, monthly price in cents).
PLANS = (("Hub Starter", 4900), ("Hub Pro", 19900), ("Hub Business", 49900), ("Hub Enterprise", 149900))

CSM_NAMES = ("Dana Whitfield", "Marcus Oyelaran", "Priya Raman", "Tom Becker", "Lena Sørensen")
IMPLEMENTATION_STAGES = (
    "Kickoff",
    "kick-off",
    "Data migration",
    "Configuration",
    "Training",
    "In progress",
    "Go-live",
    "Live",
    "LIVE",
    "Blocked",
    "On hold",
)
SHEET_NOTES = (
    "Waiting on SSO details",
    "Champion left the company",
    "Needs Salesforce import",
    "",
    "Go-live moved by customer",
    "Billing contact differs from champion",
    "Asked for extra training",
    "Happy so far",
    "Escalated to AM",
    "See Asana project",
)
CONVERSATION_SUBJECTS = (
    "Can't log in",
    "Invoice question",
    "Charged twice?",
    "How do I export data?",
    "Feature request: SSO",
    "Update billing email",
    "Integration not syncing",
    "Cancel subscription",
    "Onboarding call",
    "API rate limits",
    "Change of address",
    "Password reset",
    "Upgrade plan",
    "Refund request",
)
INVOICE_NOTES = (
    "PO {po}",
    "PO {po} - quote PO on remittance",
    "Per PO {po}; send to AP portal",
    "Net 45 agreed with finance",
    "Paid by wire, remittance advice emailed",
    "Prorated for mid-term seat increase",
    "Includes onboarding discount (10%)",
    "Customer asked for a copy to their AP mailbox",
)
"""Bookkeepers' private notes on invoices (`{po}` becomes a purchase-order number)."""

JOB_NAMES = (
    "London office",
    "EMEA expansion",
    "Phase 2 rollout",
    "Website redesign",
    "Annual support",
    "Data migration",
    "Pilot project",
    "West coast branch",
)
"""Sub-customers (jobs) a bookkeeper opens under a customer to invoice a project or an office apart."""
