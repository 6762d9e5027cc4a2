"""The demo's words: Dutch post templates about Groningen, written for the demo.

Every person here is invented; only organisations in a public role (the municipality) keep their real
name, and the news outlets are invented too. Templates take the variables in VARIABLES, so a few
hundred templates give a few thousand distinct posts. Each theme's templates contain one of the
theme's terms in config/groningen.toml (tests/newsroom/test_demo.py checks this), so the demo's posts
land on the themes the wall shows.
"""
from __future__ import annotations

SENTIMENTS = ("negative", "neutral", "positive")

VARIABLES = {
    "wijk": [
        "Paddepoel", "Selwerd", "Vinkhuizen", "Beijum", "Lewenborg", "Oosterpark", "Corpus den Hoorn",
        "Helpman", "De Hoogte", "Meerstad", "Hoogkerk", "Haren", "de Korrewegwijk", "de Schildersbuurt",
        "de Oranjewijk", "de Hortusbuurt", "de Rivierenbuurt", "de Herewegbuurt", "de Indische Buurt",
        "Hoornse Meer",
    ],
    "straat": [
        "de Korreweg", "de Paterswoldseweg", "het Zuiderdiep", "de Oosterstraat", "de Herestraat",
        "het Damsterdiep", "de Eikenlaan", "de Peizerweg", "de Van Iddekingeweg", "de Helperzoom",
        "de Hereweg", "de Oosterhamrikkade", "de Noorderstationsstraat", "de Friesestraatweg",
        "de Zonnelaan", "de Kastanjelaan", "de Vondellaan", "de Hoendiepskade",
    ],
    "plek": [
        "de Grote Markt", "de Vismarkt", "het Forum", "het Noorderplantsoen", "het Stadspark",
        "het Hoofdstation", "Zernike", "de Martinitoren", "het Ebbingekwartier", "de Westerhaven",
        "het Gerechtsplein", "de Ossenmarkt",
    ],
    "dag": ["maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"],
    "tijd": ["kwart over zeven", "half acht", "acht uur", "tien voor negen", "half elf", "twaalf uur"],
    "lijn": ["lijn 1", "lijn 3", "lijn 5", "lijn 6", "lijn 11", "lijn 15", "lijn 2", "lijn 4"],
    "evenement": [
        "Noorderzon", "Eurosonic Noorderslag", "Koningsdag", "het Bevrijdingsfestival",
        "de kermis op de Grote Markt", "het Winterfestival in het Stadspark",
    ],
    "dorp": ["Ten Boer", "Garmerwolde", "Thesinge", "Woltersum", "Sint Annen", "Lellens", "Haren"],
    "n": ["twee", "drie", "vier", "vijf", "zes"],
    "weken": ["twee weken", "drie weken", "een maand", "zes weken", "twee maanden"],
}

# Short posts as residents write them on social media, forums and in comments.
SOCIAL: dict[str, dict[str, list[str]]] = {
    "afval": {
        "negative": [
            "Alweer is de grijze kliko in {wijk} niet geleegd. Derde keer deze maand. Waar betalen we eigenlijk afvalstoffenheffing voor?",
            "Bij de ondergrondse container aan {straat} ligt weer een berg vuilnis ernaast. Stinkt enorm en de meeuwen doen de rest. Echt smerig.",
            "Grofvuil op {dag} gemeld en nog steeds niks opgehaald. Het staat nu al een week voor de deur te verregenen. Belachelijk.",
            "Zwerfafval overal rond {plek}. Geen prullenbak die niet overvol zit. Wat een troep, schaam je als stad.",
            "De glasbak in {wijk} zit al dagen vol, mensen zetten hun flessen er gewoon naast. Niemand die er iets aan doet, ergerlijk.",
        ],
        "neutral": [
            "Weet iemand of de afvalinzameling in {wijk} deze week op {dag} is of verschoven door de feestdag?",
            "Tip voor nieuwe bewoners van {wijk}: in de afvalwijzer zie je per adres wanneer de kliko aan de straat moet.",
            "Aan {straat} worden de komende weken nieuwe ondergrondse containers geplaatst, de oude gaan eruit.",
        ],
        "positive": [
            "Complimenten aan de vuilnismannen in {wijk}: om {tijd} al alles opgehaald en de straat netjes achtergelaten. Top!",
            "Vanochtend met de buurt zwerfafval geprikt rond {plek}. Twaalf zakken vol en gezellig ook nog. Mooi initiatief!",
            "Grofvuil binnen twee dagen opgehaald na mijn melding. Snel en vriendelijk geregeld, dank je wel gemeente!",
        ],
    },
    "parkeren": {
        "negative": [
            "Drie kwartier rondgereden in {wijk} voor een parkeerplaats. Sinds de nieuwe vergunningzone is het alleen maar erger. Waardeloos.",
            "Parkeerboete van ruim zeventig euro omdat de automaat aan {straat} weer eens kapot was. Bezwaar gemaakt, maar wat een gedoe.",
            "Parkeervergunning al {weken} geleden aangevraagd en nog steeds geen reactie. Intussen betaal ik me blauw aan parkeergeld.",
            "Auto's half op de stoep bij {plek} omdat er nergens te parkeren valt. Met een kinderwagen kom je er niet langs. Irritant!",
        ],
        "neutral": [
            "Vanaf volgende maand geldt in {wijk} een blauwe zone op werkdagen tussen 9 en 18 uur. Parkeerschijf dus niet vergeten.",
            "Iemand ervaring met de bezoekersregeling voor parkeren in {wijk}? Krijg binnenkort logés en vraag me af hoe dat werkt.",
            "De parkeergarage bij {plek} is dit weekend gesloten vanwege onderhoud, staat op de borden bij de ingang.",
        ],
        "positive": [
            "P+R aan de rand van de stad werkt prima: parkeren, bus in en binnen tien minuten bij {plek}. Aanrader!",
            "Parkeervergunning voor mijn mantelzorgbezoek in tien minuten online geregeld. Goed geregeld, dank!",
            "Fijn dat er in {wijk} extra parkeerplaatsen voor deelauto's zijn gekomen. Auto de deur uit gedaan en geen spijt.",
        ],
    },
    "verkeer": {
        "negative": [
            "Weer vast in de file op de ringweg door de wegwerkzaamheden. Elke dag een half uur extra. Dit duurt nu al maanden!",
            "De omleiding bij {straat} is compleet onduidelijk aangegeven. Automobilisten rijden gewoon over het fietspad. Levensgevaarlijk.",
            "Het stoplicht aan {straat} staat voor fietsers minutenlang op rood. Iedereen rijdt dan maar door. Slecht geregeld.",
            "De afsluiting van {straat} wordt alweer verlengd en niemand in de buurt heeft een brief gehad. Hoe kan dat nou?",
        ],
        "neutral": [
            "Let op: vanaf {dag} is {straat} afgesloten voor doorgaand verkeer vanwege wegwerkzaamheden. Omleiding via de ringweg.",
            "Hoe lang duurt de afsluiting bij {plek} nog? Op de borden staat eind van de maand, maar klopt dat nog?",
            "Vannacht tussen 20.00 en 05.00 uur geen verkeer mogelijk op de ringweg zuid door asfaltwerk.",
        ],
        "positive": [
            "Het nieuwe fietspad langs {straat} is echt een verademing. Breed, glad en goed verlicht. Zo kan het dus wel!",
            "Wegwerkzaamheden bij {plek} twee dagen eerder klaar dan gepland. Netjes gedaan, geen omleiding meer.",
            "Fietsers hebben voortaan vaker groen bij het stoplicht aan {straat}. Scheelt echt, ik fiets nu zonder stoppen naar mijn werk.",
        ],
    },
    "openbaar-vervoer": {
        "negative": [
            "Alweer reed {lijn} niet. Twintig minuten in de kou bij de halte en geen melding in de app van de bus. Serieus?",
            "De trein weer vertraagd en de aansluiting op de bus gemist. Elke week hetzelfde verhaal, ik ben het zat.",
            "Nieuwe dienstregeling: {lijn} rijdt 's avonds nog maar één keer per uur. Voor {wijk} een ramp, zo kom je nergens.",
            "Bus stampvol, halve rij blijft op de stoep staan bij Zernike. Zet nou gewoon extra bussen in tijdens de tentamens!",
        ],
        "neutral": [
            "Vanaf {dag} rijdt {lijn} een andere route door werkzaamheden bij {plek}. Check de dienstregeling voor je vertrekt.",
            "Weet iemand of de bus naar {wijk} dit weekend ook 's nachts rijdt?",
            "Het Hoofdstation heeft sinds deze week een nieuwe fietsenstalling met plek voor tweeduizend fietsen.",
        ],
        "positive": [
            "De chauffeur van de bus op {lijn} wachtte even op een oudere mevrouw die aan kwam lopen. Zo vriendelijk, mijn dag is goed!",
            "Nieuwe elektrische bus op {lijn}: stil, schoon en op tijd. Fijne verbetering!",
            "Trein en bus sloten vandaag precies op elkaar aan. In twintig minuten van het station naar {wijk}. Top.",
        ],
    },
    "wonen": {
        "negative": [
            "Veertig reacties op één kamer van 650 euro in {wijk}. Deze woningnood is niet normaal meer.",
            "Al negen jaar ingeschreven voor een huurwoning en nog steeds geen kans. Onze kinderen slapen met z'n drieën op één slaapplek.",
            "Schimmel in de badkamer en de wooncorporatie reageert al {weken} niet op meldingen. Wij voelen ons echt in de steek gelaten.",
            "Huurprijs van mijn studentenhuis weer omhoog, terwijl de verwarming al maanden stuk is. Schandalig.",
        ],
        "neutral": [
            "In {wijk} begint volgend jaar de bouw van 120 nieuwbouwwoningen, waarvan een derde sociale huur.",
            "Iemand tips voor een woning in de stad? Ik begin volgende maand met werken en zoek iets in of rond {wijk}.",
            "Informatieavond over de nieuwbouw in {wijk} op {dag} om 19.30 uur in het wijkcentrum.",
        ],
        "positive": [
            "Eindelijk! Na jaren zoeken de sleutel van onze eigen huurwoning in {wijk}. Zo blij!",
            "Mooi project in {wijk}: leeg kantoor omgebouwd tot veertig betaalbare woningen voor starters. Meer van dit graag!",
            "Onze wooncorporatie heeft de hele flat geïsoleerd. Energierekening gehalveerd en geen tocht meer. Heel blij mee.",
        ],
    },
    "veiligheid": {
        "negative": [
            "Alweer een inbraak bij ons in {wijk}, de derde in twee weken. Ik voel me hier niet meer veilig.",
            "Vannacht weer vuurwerk en harde knallen bij {plek}. Onze hond is compleet overstuur. Wanneer grijpt de politie eens in?",
            "Donkere stoep langs {straat}, geen lantaarnpaal die het doet. 's Avonds voelt het hier echt onveilig.",
            "Auto van de buren in brand gestoken aan {straat}. Al de tweede keer deze maand. Eng hoor.",
        ],
        "neutral": [
            "Politie zoekt getuigen van een inbraak aan {straat} afgelopen nacht. Camerabeelden zijn welkom.",
            "Veel sirenes bij {plek}, weet iemand wat er aan de hand is? Politie en brandweer staan er.",
            "Op {dag} houdt de politie een inloopspreekuur in het wijkcentrum van {wijk}.",
        ],
        "positive": [
            "Sinds de buurtapp in {wijk} zijn er veel minder inbraakmeldingen. Mooi hoe buren op elkaar letten.",
            "Dank aan de brandweer die vannacht zo snel ter plaatse was aan {straat}. Niemand gewond, knap werk!",
            "Wijkagent kwam vandaag langs op de basisschool in {wijk}. Kinderen vonden het prachtig, fijn contact met de politie.",
        ],
    },
    "aardbeving": {
        "negative": [
            "Twee jaar na de schademelding nog altijd geen besluit over het schadeherstel. De scheuren in de muur worden alleen maar groter. Dit sloopt mensen.",
            "Weer een beving gevoeld vannacht in {dorp}. Kasten rammelden. En de versterking van ons huis ligt nog steeds stil.",
            "Het schadeherstel duurt eindeloos. Drie keer een andere aannemer en niemand neemt verantwoordelijkheid. Boos en moe.",
        ],
        "neutral": [
            "De versterking van de woningen aan de dorpsstraat in {dorp} begint in het voorjaar, meldt de bewonersbrief.",
            "Informatiebijeenkomst over schadeherstel en de regelingen van het IMG op {dag} in het dorpshuis van {dorp}.",
            "De gaswinning is gestopt, maar de afhandeling van aardbeving-schade in {dorp} loopt nog jaren door.",
        ],
        "positive": [
            "De versterking van ons huis in {dorp} is eindelijk klaar. Na al die jaren weer rust in ons hoofd. Dank aan de bouwers!",
            "Snelle afhandeling van mijn schademelding door het IMG: binnen zes weken uitbetaald. Positief verrast.",
            "Mooi nieuws: na de versterking gaat de school in {dorp} weer open. Kinderen kunnen terug naar hun eigen dorp.",
        ],
    },
    "evenementen": {
        "negative": [
            "Tot drie uur 's nachts bonkende bassen van {evenement}. Wij wonen hier ook, gemeente. Geen oog dichtgedaan.",
            "Kermis op de Grote Markt betekent weer een week hekken en omwegen. Ik word er moe van.",
            "Kaartjes voor {evenement} in een minuut uitverkocht en nu op doorverkoopsites voor het drievoudige. Wat een afzetterij.",
        ],
        "neutral": [
            "{evenement} begint {dag}. Houd rekening met afsluitingen en drukte rond {plek}.",
            "Het programma van {evenement} is bekend. Iemand al plannen?",
            "Vrijwilligers gezocht voor {evenement}, aanmelden kan via de website van de organisatie.",
        ],
        "positive": [
            "Wat een sfeer gisteren op {evenement}! De stad op z'n mooist. Volgend jaar weer.",
            "{evenement} was echt top dit jaar. Goed georganiseerd, veilig en gezellig.",
            "Met de kinderen naar de kermis geweest, wat een plezier. De stad bruist!",
        ],
    },
    "zorg-en-inkomen": {
        "negative": [
            "Al {weken} wachten op een besluit over mijn Wmo-aanvraag. Intussen zit mijn moeder thuis zonder hulp. Onacceptabel.",
            "Energietoeslag aangevraagd in november, nog steeds niks ontvangen. En de rekeningen stapelen zich op.",
            "De wachtlijst voor jeugdzorg is gewoon schrijnend. Ons kind wacht nu negen maanden op hulp.",
        ],
        "neutral": [
            "De voedselbank in {wijk} zoekt vrijwilligers voor het uitdelen op {dag}.",
            "Inloopspreekuur schuldhulp elke {dag} in het wijkcentrum van {wijk}, zonder afspraak.",
            "Vraag: moet je de energietoeslag dit jaar opnieuw aanvragen of gaat dat vanzelf?",
        ],
        "positive": [
            "Dankzij de schuldhulp van de gemeente zijn we na twee jaar schuldenvrij. Zo dankbaar voor de begeleiding.",
            "De Wmo-consulent was super behulpzaam: binnen een week een scootmobiel voor mijn vader. Top service!",
            "Mooie actie: winkels in {wijk} doneren elke week aan de voedselbank. Zo helpen we elkaar.",
        ],
    },
    "openbare-ruimte": {
        "negative": [
            "Al {weken} doet de straatverlichting aan {straat} het niet. Pikkedonker als je 's avonds thuiskomt.",
            "Losse tegel op de stoep bij {plek}, mijn buurvrouw is er gisteren over gestruikeld. Al twee keer gemeld!",
            "Onkruid tot kniehoogte langs de stoepen in {wijk}. Hoezo groenonderhoud? Het ziet er verwaarloosd uit.",
            "De speeltuin in {wijk} al maanden dicht met hekken eromheen. Waar moeten de kinderen nou spelen?",
        ],
        "neutral": [
            "Bomenkap langs {straat} gepland vanwege de herinrichting. Er komen nieuwe bomen voor terug, staat in de brief.",
            "Wordt er vannacht gestrooid? Het wordt glad volgens het weerbericht. Hoe zit het met gladheid op de fietspaden in {wijk}?",
            "Een losse tegel of kapotte lamp kun je melden via de app van de gemeente, dan zie je ook de status.",
        ],
        "positive": [
            "De nieuwe speeltuin in {wijk} is prachtig geworden. Kinderen zijn er niet weg te slaan!",
            "Een dag na mijn melding was de straatverlichting aan {straat} al gemaakt. Snel gewerkt!",
            "Vroeg in de ochtend al strooien op alle fietspaden. Geen gladheid onderweg, dank aan de strooiploeg!",
        ],
    },
}

# Replies that fit under any post; theme replies come from SOCIAL.
REPLIES = {
    "negative": [
        "Precies dit. Hier exact hetzelfde probleem.",
        "Herkenbaar, en niemand die er iets aan doet.",
        "Ik heb het ook al drie keer gemeld, nooit iets teruggehoord.",
        "Dit is toch te gek voor woorden.",
        "Schandalig gewoon. Wanneer gaat er eens iemand luisteren?",
        "Zelfde verhaal bij ons in {wijk}. Echt balen.",
        "Ik word hier zo moedeloos van.",
    ],
    "neutral": [
        "Weet iemand waar je dit het beste kunt melden?",
        "Is hier al een officiële reactie op gekomen?",
        "Goeie vraag, ben ook benieuwd.",
        "Staat er iets over in de wijkkrant van {wijk}?",
        "Je kunt het melden via de app, dan krijg je een meldingsnummer.",
        "Volgens mij is dit vorige week ook in de wijkraad besproken.",
    ],
    "positive": [
        "Bij ons in {wijk} is het gelukkig opgelost, dus er is hoop!",
        "Goed dat je het meldt, bij ons hielp dat echt.",
        "Fijn om te lezen, dank voor de update!",
        "Mooi zo! Zo hoort het.",
        "Heel blij mee, eindelijk iets positiefs.",
        "Dank voor de tip, werkte meteen.",
    ],
}

# Openers of forum threads, Discourse topics and Reddit submissions: (sentiment, title, text).
THREADS: dict[str, list[tuple[str, str, str]]] = {
    "afval": [
        ("negative", "Kliko al twee weken niet geleegd in {wijk}",
         "Is dit bij meer mensen zo? Onze grijze kliko is al twee keer overgeslagen. De afvalwijzer zegt dat ze geweest zijn, maar hij staat nog vol. Gemeld en niks gehoord."),
        ("neutral", "Hoe werkt grofvuil ophalen tegenwoordig?",
         "Ik ga verhuizen binnen {wijk} en heb een oude bank en een kast. Moet je grofvuil nog online aanmelden of kun je het gewoon aan de straat zetten? En wat kost het?"),
    ],
    "parkeren": [
        ("negative", "Nieuwe parkeervergunningzone in {wijk} is een drama",
         "Sinds de invoering van de vergunningzone in {wijk} is er 's avonds nog minder plek. Bezoek moet ver weg parkeren en betalen. Wie heeft dit bedacht?"),
        ("neutral", "Parkeren bij het ziekenhuis: tips?",
         "Mijn moeder moet een paar weken elke dag naar het UMCG voor behandeling. Iemand tips voor parkeren in de buurt, of is de P+R met de bus handiger?"),
    ],
    "verkeer": [
        ("negative", "Chaos door afsluiting {straat}",
         "Sinds de afsluiting van {straat} staat alles vast. De omleiding stuurt vrachtwagens door smalle woonstraten en fietsers moeten zich ertussendoor wurmen. Iemand een idee hoe lang dit nog duurt?"),
        ("positive", "Nieuw fietspad langs {straat} open",
         "Vanochtend voor het eerst over het nieuwe fietspad gefietst. Breed, vlak en veel veiliger dan eerst. Zo kan het dus ook!"),
    ],
    "openbaar-vervoer": [
        ("negative", "{lijn} rijdt steeds niet, ervaringen?",
         "Al drie keer deze week stond ik voor niks bij de halte. In de app staat de bus gewoon gepland. Hebben meer mensen dit en heeft iemand al een reactie van de vervoerder?"),
        ("neutral", "Nieuwe dienstregeling vanaf volgende maand",
         "Er komt een nieuwe dienstregeling aan. Weet iemand al wat er verandert voor de bus richting {wijk}?"),
    ],
    "wonen": [
        ("negative", "Kamer zoeken is hopeloos",
         "Al vier maanden op zoek naar een kamer, overal tientallen reacties. Zelfs voor een kamer van 12 vierkante meter vragen ze 600 euro. Hoe doen anderen dit?"),
        ("neutral", "Ervaringen met nieuwbouw in Meerstad?",
         "We overwegen een nieuwbouwwoning in Meerstad. Hoe bevalt het daar, qua voorzieningen en bus naar de stad?"),
    ],
    "veiligheid": [
        ("negative", "Inbraakgolf in {wijk}?",
         "Bij ons in de straat is deze maand al drie keer ingebroken. De politie komt langs, maar er gebeurt verder weinig. Zijn er meer mensen die zich onveilig voelen?"),
        ("neutral", "Vuurwerkvrije zones met oud en nieuw",
         "Weet iemand welke vuurwerkvrije zones er dit jaar zijn in de stad? Ik zie het niet op de website staan."),
    ],
    "aardbeving": [
        ("negative", "Schadeherstel na aardbeving duurt eindeloos",
         "Onze schademelding loopt al anderhalf jaar. Eerst een opnemer, dan een tweede, en nu weer wachten op een besluit over het schadeherstel. Hoe lang duurt het bij jullie?"),
        ("positive", "Versterking klaar, eindelijk!",
         "Na drie jaar zijn de werkzaamheden voor de versterking van ons huis in {dorp} klaar. Het was een zware tijd, maar het resultaat is goed. Sterkte aan iedereen die nog wacht."),
    ],
    "evenementen": [
        ("positive", "Wie gaat er naar {evenement}?",
         "Over twee weken is het weer zover. Wat zijn jullie tips voor het programma dit jaar? Ik heb er zin in!"),
        ("negative", "Overlast na {evenement}",
         "Het is elk jaar hetzelfde: na afloop van {evenement} ligt de buurt vol glas en afval en wordt er tot diep in de nacht geschreeuwd. Kan daar niet beter op worden gehandhaafd?"),
    ],
    "zorg-en-inkomen": [
        ("negative", "Wachten op de Wmo",
         "Mijn vader heeft dringend een traplift nodig, maar de Wmo-aanvraag ligt al {weken} stil. Bellen heeft geen zin, je krijgt steeds iemand anders. Iemand ervaring hoe je dit versnelt?"),
        ("neutral", "Energietoeslag: wie komt in aanmerking?",
         "Weet iemand of de energietoeslag dit jaar weer komt en wat de inkomensgrens is? Ik kan het niet goed vinden."),
    ],
    "openbare-ruimte": [
        ("negative", "Straatverlichting kapot in {wijk}",
         "Al {weken} is het aardedonker in onze straat omdat de straatverlichting het niet doet. Twee keer gemeld, maar er gebeurt niets. Niet prettig als je 's avonds thuiskomt."),
        ("positive", "Nieuwe speeltuin in {wijk} geopend",
         "Vandaag is de nieuwe speeltuin geopend. Echt mooi geworden, met veel groen en ook plek voor kleine kinderen. Goed dat er naar de buurt is geluisterd."),
    ],
}

# News articles: (sentiment, title, teaser, paragraphs). The teaser is what a feed carries; the
# article page holds the whole text.
NEWS: dict[str, list[tuple[str, str, str, list[str]]]] = {
    "afval": [
        ("negative", "Bewoners van {wijk} klagen over overvolle containers",
         "In {wijk} staan de ondergrondse containers al dagen vol. Bewoners zetten hun vuilniszakken ernaast, met stank en meeuwen tot gevolg.",
         ["Volgens bewoners is het probleem niet nieuw. 'Elke maand hetzelfde liedje', zegt een buurtbewoner die anoniem wil blijven. 'Je belt, je meldt, en er gebeurt niets.'",
          "Een woordvoerder van de gemeente laat weten dat er door ziekte onder chauffeurs minder ophaalrondes zijn gereden. De achterstand wordt deze week ingehaald.",
          "De gemeente vraagt bewoners om geen zakken naast de containers te zetten en volle containers te melden via de website of de app."]),
        ("neutral", "Gemeente test nieuwe route voor afvalinzameling",
         "In {wijk} rijden de vuilniswagens vanaf volgende week een nieuwe route. Het doel is minder gereden kilometers en minder overlast in smalle straten.",
         ["De proef duurt drie maanden. Bewoners krijgen een brief met de nieuwe ophaaldagen; de kliko moet vanaf 7.30 uur aan de straat staan.",
          "Als de proef slaagt, wil de gemeente de nieuwe manier van inzamelen volgend jaar in meer wijken invoeren."]),
        ("positive", "Minder zwerfafval dankzij buurtprikkers",
         "Het aantal meldingen over zwerfafval in {wijk} is het afgelopen halfjaar met een derde gedaald. Vrijwilligers prikken elke week afval rond scholen en winkels.",
         ["De groep begon met vijf buurtbewoners en telt inmiddels ruim veertig vrijwilligers. De gemeente levert grijpers, zakken en haalt het afval op.",
          "'Het is gezellig en je ziet meteen resultaat', vertelt een van de vrijwilligers. De gemeente wil het initiatief uitbreiden naar andere wijken."]),
    ],
    "parkeren": [
        ("negative", "Ondernemers rond {plek} boos over hogere parkeertarieven",
         "Ondernemers rond {plek} vrezen dat klanten wegblijven nu het parkeren in de binnenstad opnieuw duurder wordt.",
         ["Het uurtarief in de parkeergarages stijgt per 1 januari. Volgens de ondernemersvereniging kiezen bezoekers dan sneller voor winkelcentra buiten de stad.",
          "De gemeente wijst erop dat de P+R-terreinen goedkoop blijven en dat de bus vanaf daar elke paar minuten naar het centrum rijdt."]),
        ("neutral", "Blauwe zone in {wijk} vanaf volgende maand",
         "In {wijk} wordt een blauwe zone ingevoerd. Op werkdagen mag je er met een parkeerschijf maximaal twee uur parkeren.",
         ["Bewoners kunnen een parkeervergunning aanvragen. Voor bezoekers komt er een digitale bezoekersregeling.",
          "De maatregel volgt op klachten over forenzen die hun auto in de wijk laten staan en met de fiets of bus verder reizen."]),
        ("positive", "Nieuwe fietsenstalling en parkeergarage verlichten centrum",
         "Sinds de opening van de nieuwe ondergrondse parkeergarage zijn er in het centrum merkbaar minder zoekende auto's, blijkt uit tellingen.",
         ["Ook de nieuwe fietsenstalling onder {plek} is een succes: op drukke dagen staan er meer dan duizend fietsen.",
          "Winkeliers zijn tevreden. 'De straat is rustiger en veiliger, en klanten vinden makkelijker een plek', zegt een ondernemer."]),
    ],
    "verkeer": [
        ("negative", "Files op de ringweg door wegwerkzaamheden",
         "Automobilisten staan deze week in lange files op de ringweg. Door wegwerkzaamheden is er één rijstrook per richting beschikbaar.",
         ["Vooral in de ochtendspits loopt het vertraging op tot een half uur. Omwonenden klagen over sluipverkeer door hun straten.",
          "Een woordvoerder van het project zegt dat de werkzaamheden nodig zijn en eind volgende maand klaar moeten zijn. Weggebruikers wordt aangeraden de fiets of de bus te nemen."]),
        ("neutral", "{straat} drie weken afgesloten",
         "Vanaf maandag is {straat} drie weken afgesloten voor doorgaand verkeer. Er worden riolering en het wegdek vernieuwd.",
         ["Fietsers en voetgangers kunnen langs het werk. Voor auto's geldt een omleiding die met gele borden is aangegeven.",
          "Bussen rijden in deze periode een andere route; de haltes worden tijdelijk verplaatst."]),
        ("positive", "Fietspad langs {straat} verkozen tot beste van de provincie",
         "Het vernieuwde fietspad langs {straat} is door fietsers verkozen tot beste fietspad van de provincie.",
         ["Het pad is breder gemaakt, kreeg nieuwe verlichting en fietsers hebben bij het stoplicht vaker groen.",
          "'Dit laat zien dat investeren in fietsers loont', zegt de wethouder verkeer. Volgend jaar worden nog twee routes aangepakt."]),
    ],
    "openbaar-vervoer": [
        ("negative", "Reizigers boos over uitval bussen",
         "Op meerdere buslijnen in de stad vielen deze week ritten uit. De vervoerder kampt met een tekort aan chauffeurs.",
         ["Vooral studenten op weg naar Zernike en ouderen in de wijken hebben er last van. 'Je weet nooit of de bus komt', zegt een reiziger.",
          "De vervoerder zegt nieuwe chauffeurs op te leiden en verwacht dat de dienstregeling over een paar weken weer volledig wordt gereden."]),
        ("neutral", "Nieuwe dienstregeling: dit verandert er voor reizigers",
         "Vanaf december rijdt een aantal buslijnen in de stad een andere route. Ook de treinen naar het oosten rijden vaker.",
         ["{lijn} gaat via het Hoofdstation rijden in plaats van via de binnenstad. Enkele haltes vervallen.",
          "Reizigers kunnen de nieuwe tijden vanaf volgende week bekijken in de reisplanner van de vervoerder."]),
        ("positive", "Elektrische bussen rijden nu op alle stadslijnen",
         "Alle stadsbussen rijden sinds deze week elektrisch. Volgens de vervoerder levert dat jaarlijks duizenden tonnen minder CO2-uitstoot op.",
         ["Chauffeurs en reizigers zijn positief: de bussen zijn stiller en rijden soepeler.",
          "De laadpunten staan bij het station en bij de stalling aan de rand van de stad."]),
    ],
    "wonen": [
        ("negative", "Woningnood onder studenten groter dan ooit",
         "Honderden studenten hebben aan het begin van het studiejaar nog geen kamer. De noodopvang zit vol.",
         ["Internationale studenten hebben het het zwaarst: zij reageren op tientallen advertenties zonder resultaat.",
          "De gemeente en de kennisinstellingen zoeken naar tijdelijke units. 'We doen wat we kunnen, maar de woningmarkt zit muurvast', zegt de wethouder wonen."]),
        ("neutral", "Plannen voor 500 nieuwbouwwoningen in {wijk}",
         "In {wijk} kunnen de komende jaren ongeveer 500 woningen worden gebouwd. De gemeente presenteert de plannen op een inloopavond.",
         ["Het gaat om een mix van sociale huur, middenhuur en koopwoningen. Er komt ook een nieuw plein met groen.",
          "Bewoners kunnen tot eind van de maand reageren op het plan."]),
        ("positive", "Oude school wordt woongebouw voor starters",
         "Een leegstaande school in {wijk} wordt omgebouwd tot veertig betaalbare woningen voor starters.",
         ["De wooncorporatie verwacht dat de eerste bewoners volgend jaar zomer kunnen verhuizen.",
          "Buurtbewoners zijn blij dat het gebouw een nieuwe bestemming krijgt en het karakteristieke schoolplein blijft bestaan."]),
    ],
    "veiligheid": [
        ("negative", "Meerdere autobranden in {wijk}",
         "In {wijk} zijn afgelopen nacht drie auto's in brand gevlogen. De politie gaat uit van brandstichting.",
         ["Buurtbewoners zijn geschrokken. 'Dit is de tweede keer deze maand', zegt een bewoner die met zijn kinderen op straat stond.",
          "De politie vraagt getuigen en mensen met camerabeelden zich te melden."]),
        ("neutral", "Politie houdt spreekuur in de wijk",
         "Wijkagenten houden de komende maanden elke twee weken een spreekuur in {wijk}. Bewoners kunnen er terecht met vragen over veiligheid.",
         ["Het spreekuur is bedoeld om de drempel naar de politie te verlagen. Ook medewerkers van de gemeente schuiven aan.",
          "Aanmelden is niet nodig."]),
        ("positive", "Minder inbraakmeldingen door buurtpreventie",
         "Het aantal woninginbraken in {wijk} is dit jaar flink gedaald. Politie en gemeente noemen de buurtpreventie een belangrijke oorzaak.",
         ["Bewoners lopen 's avonds rondes en waarschuwen elkaar via een buurtapp. Ook is er extra straatverlichting geplaatst.",
          "'Bewoners zijn onze ogen en oren', zegt de wijkagent. De gemeente ondersteunt nieuwe buurtpreventieteams met een startbudget."]),
    ],
    "aardbeving": [
        ("negative", "Bewoners van {dorp} wachten nog altijd op versterking",
         "In {dorp} wachten tientallen huishoudens al jaren op de versterking van hun woning. Bewoners voelen zich vergeten.",
         ["Sommige bewoners wonen al maanden in een wisselwoning. 'Je leven staat stil', zegt een bewoner.",
          "De gemeente noemt de situatie onacceptabel en dringt bij het Rijk aan op snellere procedures."]),
        ("neutral", "Lichte aardbeving gemeten bij {dorp}",
         "Het KNMI heeft vannacht een lichte aardbeving gemeten in de buurt van {dorp}. De beving had een kracht van 1,8.",
         ["Inwoners die schade vermoeden, kunnen dat melden bij het Instituut Mijnbouwschade Groningen (IMG).",
          "Hoewel de gaswinning uit het Groningenveld is gestopt, kunnen er nog jaren bevingen voorkomen."]),
        ("positive", "Versterkte dorpsschool in {dorp} weer open",
         "Na twee jaar in noodlokalen kunnen de leerlingen van de dorpsschool in {dorp} terug naar hun eigen gebouw. De school is aardbevingsbestendig gemaakt.",
         ["Bij de opening waren ouders, leerkrachten en de burgemeester aanwezig. De kinderen zongen een zelfgeschreven lied.",
          "'Dit is een feestdag voor het hele dorp', zei de directeur. De versterking is klaar na twee jaar werk."]),
    ],
    "evenementen": [
        ("negative", "Omwonenden klagen over geluid van {evenement}",
         "Bewoners rond {plek} hebben tientallen klachten ingediend over geluidsoverlast tijdens {evenement}.",
         ["Volgens bewoners ging de muziek tot diep in de nacht door. De organisatie zegt zich aan de vergunning te hebben gehouden.",
          "De gemeente gaat de klachten bekijken bij de vergunning voor volgend jaar."]),
        ("neutral", "{evenement}: afsluitingen en bereikbaarheid",
         "Tijdens {evenement} zijn verschillende straten rond {plek} afgesloten. Bezoekers wordt geadviseerd met de fiets of de bus te komen.",
         ["Er komen extra fietsenstallingen bij het festivalterrein. De P+R-terreinen zijn langer open.",
          "De gemeente en de organisatie roepen bezoekers op afval in de bakken te gooien."]),
        ("positive", "Recordaantal bezoekers voor {evenement}",
         "{evenement} trok dit jaar meer bezoekers dan ooit. Organisatie en gemeente spreken van een geslaagd evenement.",
         ["Er waren nauwelijks incidenten en de sfeer was volgens de politie uitstekend.",
          "Ook ondernemers in de binnenstad zijn tevreden: de horeca draaide op volle toeren."]),
    ],
    "zorg-en-inkomen": [
        ("negative", "Lange wachttijden bij Wmo-aanvragen",
         "Inwoners wachten steeds langer op een besluit over hun Wmo-aanvraag. In sommige gevallen duurt het meer dan drie maanden.",
         ["Volgens de gemeente komt dat door een stijging van het aantal aanvragen en een tekort aan consulenten.",
          "Cliëntorganisaties maken zich zorgen. 'Mensen die hulp nodig hebben, kunnen niet maanden wachten', zegt een woordvoerder."]),
        ("neutral", "Energietoeslag opnieuw aan te vragen",
         "Huishoudens met een laag inkomen kunnen ook dit jaar energietoeslag aanvragen bij de gemeente.",
         ["De aanvraag kan online of met hulp in een van de wijkcentra. Wie vorig jaar de toeslag kreeg, krijgt automatisch bericht.",
          "De gemeente wijst ook op de mogelijkheden voor schuldhulp en budgetcoaching."]),
        ("positive", "Meer mensen vinden de weg naar schuldhulp",
         "Steeds meer inwoners met geldproblemen melden zich vroeg bij de schuldhulp van de gemeente. Daardoor worden problemen vaker op tijd opgelost.",
         ["Vrijwilligers in de wijken helpen bij het ordenen van de post en het aanvragen van toeslagen.",
          "'Hoe eerder iemand komt, hoe beter we kunnen helpen', zegt een budgetcoach."]),
    ],
    "openbare-ruimte": [
        ("negative", "Klachten over kapotte straatverlichting",
         "De gemeente krijgt dit najaar opvallend veel klachten over kapotte straatverlichting. In sommige straten is het al weken donker.",
         ["Door een storing in het systeem werden meldingen niet doorgestuurd naar de aannemer. Dat is inmiddels hersteld.",
          "Bewoners van {wijk} zeggen zich onveilig te voelen in het donker. De gemeente belooft de achterstand binnen twee weken weg te werken."]),
        ("neutral", "Bomenkap en herinrichting van {straat}",
         "Langs {straat} worden deze winter bomen gekapt voor de herinrichting van de straat. Er komen meer bomen voor terug.",
         ["De straat krijgt bredere stoepen, een vrijliggend fietspad en meer groen.",
          "Bewoners konden het afgelopen jaar meepraten over het ontwerp."]),
        ("positive", "Kinderen openen vernieuwde speeltuin",
         "In {wijk} is de vernieuwde speeltuin feestelijk geopend door kinderen uit de buurt. Zij mochten meedenken over het ontwerp.",
         ["De speeltuin heeft nu een waterspeelplek, een klimtoren en een stuk natuur om in te spelen.",
          "Buurtbewoners zorgen samen met de gemeente voor het groenonderhoud."]),
    ],
}

# Regional news about other places than the city: a non-local feed keeps none of it (the watch filter).
REGIONAL = [
    ("neutral", "Nieuwe sporthal in Veendam geopend",
     "In Veendam is de nieuwe sporthal geopend. Verenigingen kunnen er vanaf volgende week terecht.",
     ["De hal heeft drie zaalvelden en een tribune voor vierhonderd mensen.",
      "Het oude sportcentrum wordt gesloopt; op die plek komen woningen."]),
    ("negative", "Bewoners Delfzijl boos over sluiting zwembad",
     "Het zwembad in Delfzijl gaat dicht wegens hoge energiekosten. Zwemclubs zoeken naar een andere plek.",
     ["Het college wil het bad pas heropenen als er een nieuwe exploitant is gevonden.",
      "Ouders maken zich zorgen over de zwemlessen van hun kinderen."]),
    ("positive", "Winschoten viert vijftig jaar rozenfestival",
     "Met een grote optocht vierde Winschoten het vijftigjarig bestaan van het rozenfeest. Duizenden mensen kwamen kijken.",
     ["Er deden dertig praalwagens mee, allemaal versierd met rozen uit de regio.",
      "De organisatie spreekt van de best bezochte editie ooit."]),
    ("neutral", "Werkzaamheden aan de N33 bij Appingedam",
     "De N33 bij Appingedam is komend weekend afgesloten vanwege asfaltwerk. Verkeer wordt omgeleid.",
     ["De werkzaamheden beginnen vrijdagavond om 20.00 uur en duren tot maandagochtend.",
      "De provincie adviseert weggebruikers om extra reistijd in te plannen."]),
    ("negative", "Boeren in Westerkwartier protesteren tegen natuurplannen",
     "Tientallen boeren uit het Westerkwartier protesteerden bij het provinciehuis tegen nieuwe natuurplannen.",
     ["Zij vrezen dat hun bedrijven moeten stoppen. De provincie wil met hen in gesprek.",
      "Het protest verliep rustig."]),
    ("positive", "Stadskanaal krijgt nieuw theater",
     "Stadskanaal krijgt een nieuw theater aan het water. De bouw begint volgend jaar.",
     ["Het theater krijgt een grote zaal met 500 stoelen en een kleine zaal voor lokale verenigingen.",
      "Inwoners konden meepraten over het ontwerp."]),
]

# English posts by international residents (students, newcomers): the wall shows other languages too.
ENGLISH = [
    ("negative", "wonen", "Been looking for a room in Groningen for three months now. Forty viewings, no luck. The housing crisis here is brutal."),
    ("positive", "evenementen", "Noorderzon in Groningen was amazing this year, such a lovely festival vibe in the park!"),
    ("neutral", "openbaar-vervoer", "Does anyone know if the bus to Zernike runs on Sundays? New to Groningen."),
    ("neutral", "afval", "How does waste sorting work in Groningen? Got a grey and a green container but no idea what goes where."),
    ("negative", "veiligheid", "Second bike stolen in Groningen this year, right in front of the station. Lock and all."),
    ("positive", "openbare-ruimte", "The Noorderplantsoen in Groningen in autumn is just beautiful. Best park in the city."),
]

# The municipality's own news (its feed and its accounts): (theme, title, teaser, paragraphs).
MUNICIPAL = [
    ("afval", "Nieuwe afvalwijzer: ophaaldagen per adres",
     "Vanaf deze week staan de ophaaldagen voor de kliko, papier en grofvuil per adres in de vernieuwde afvalwijzer op de website en in de app.",
     ["Inwoners kunnen zich ook aanmelden voor een herinnering de avond voor de inzameling.",
      "Grofvuil ophalen kan op afspraak; de eerste vier keer per jaar zijn gratis."]),
    ("zorg-en-inkomen", "Energietoeslag: aanvragen kan tot 1 juni",
     "Huishoudens met een laag inkomen kunnen tot 1 juni energietoeslag aanvragen. Hulp bij het aanvragen is er in alle wijkcentra.",
     ["Wie niet zeker weet of hij in aanmerking komt, kan de rekenhulp op de website gebruiken.",
      "Ook voor vragen over schuldhulp kunnen inwoners terecht bij het wijkteam."]),
    ("openbare-ruimte", "Gladheid: zo strooit de gemeente",
     "Bij kans op gladheid strooit de gemeente eerst de hoofdfietsroutes, busroutes en de ringweg. Daarna volgen de wijken.",
     ["Op de website staat een kaart met de routes waar gestrooid wordt.",
      "Inwoners kunnen bij de wijkposten gratis strooizout ophalen voor de eigen stoep."]),
    ("evenementen", "Koningsdag in de stad: afsluitingen en vrijmarkt",
     "Op Koningsdag is de binnenstad autovrij. De vrijmarkt is van 6.00 tot 18.00 uur in het Noorderplantsoen en rond de Grote Markt.",
     ["Bussen rijden een aangepaste route. Afval kan in de extra containers die op de route staan.",
      "De gemeente wenst iedereen een fijne Koningsdag."]),
    ("verkeer", "Werk aan de ringweg: wat u moet weten",
     "De komende maanden wordt er gewerkt aan de zuidelijke ringweg. Op de projectwebsite staan de afsluitingen per week.",
     ["Fietsers kunnen gebruikmaken van de tijdelijke fietsbrug.",
      "Vragen kunnen via het omgevingsloket van het project."]),
]

# Wire copy that two outlets carry word for word (syndication): (theme, title, teaser, paragraphs).
WIRE = [
    ("verkeer", "Nieuwe fietsstraat in de binnenstad geopend",
     "De nieuwe fietsstraat tussen het station en de binnenstad is vandaag geopend. Auto's zijn er te gast, fietsers hebben voorrang.",
     ["Dagelijks fietsen er volgens tellingen ruim twintigduizend fietsers over deze route.",
      "De gemeente verwacht dat de fietsstraat het verkeer veiliger maakt en de drukte bij de stoplichten verspreidt."]),
    ("wonen", "Huurders in Groningen betalen steeds meer",
     "De gemiddelde huurprijs in Groningen is het afgelopen jaar met zeven procent gestegen, blijkt uit cijfers van een landelijke huursite.",
     ["Vooral kamers en kleine studio's werden duurder. Huurdersorganisaties spreken van een zorgelijke ontwikkeling.",
      "De gemeente wil meer betaalbare huurwoningen laten bouwen en strenger controleren op te hoge huren."]),
    ("veiligheid", "Brand in leegstaand pand in de binnenstad",
     "In een leegstaand pand aan {straat} heeft vannacht een grote brand gewoed. De brandweer had het vuur na twee uur onder controle.",
     ["Er raakte niemand gewond. Omwonenden werden tijdelijk geëvacueerd vanwege de rook.",
      "De politie onderzoekt de oorzaak van de brand."]),
    ("evenementen", "Eurosonic Noorderslag maakt eerste namen bekend",
     "Het muziekfestival Eurosonic Noorderslag heeft de eerste twintig artiesten bekendgemaakt voor de komende editie in Groningen.",
     ["Het festival trekt jaarlijks muziekliefhebbers en vakmensen uit heel Europa.",
      "De kaartverkoop begint volgende week."]),
]


# --- the brewing issue -----------------------------------------------------------------------------
# An episode: a theme in one neighbourhood that rises (negative posts), gets an answer from the
# municipality, and is resolved. Offsets are demo seconds from the start of the demo; negative ones
# lie in the backlog.

EPISODES = [
    {
        "name": "afval-beijum",
        "theme": "afval",
        "wijk": "Beijum",
        "starts": -90 * 60,
        "peak": 12 * 60,         # complaints rise until the municipality answers
        "resolved": 22 * 60,     # the backlog has been collected; thanks and relief
        "ends": 32 * 60,
        "complaints": [
            "Kliko's in Beijum al {n} dagen niet geleegd. Het stinkt in de hele straat. Wat is hier aan de hand?",
            "Alweer geen vuilniswagen gezien in Beijum. Containers puilen uit en de zakken staan ernaast. Dit kan echt niet.",
            "Dag {n} zonder afvalinzameling in Beijum. Meeuwen trekken de zakken open, overal afval op de stoep. Walgelijk.",
            "Wij wonen in Beijum-Oost en onze grijze kliko is al twee keer overgeslagen. Gemeld, geen reactie. Ik ben er klaar mee.",
            "Rond het winkelcentrum in Beijum ligt overal vuilnis. Kinderen lopen er langs naar school. Schandalig.",
            "Zelfs de ondergrondse containers in Beijum zitten vol. Niemand van de gemeente neemt de telefoon op. Boos!",
            "Hoe lang moeten we in Beijum nog tussen het afval leven? Het is warm en het stinkt verschrikkelijk.",
            "Buren zetten hun zakken nu maar bij de glasbak in Beijum. Wat een puinhoop, dit is toch geen stad om trots op te zijn.",
            "Afvalinzameling in Beijum totaal in de soep. Drie keer gebeld, steeds een ander verhaal. Waardeloos.",
            "Nu al {n} dagen stank in Beijum door overvolle kliko's. Ratten gezien bij de flats. Doe er iets aan!",
        ],
        "response": [
            "De gemeente zegt dat het afval in Beijum morgen wordt opgehaald. Eerst zien, dan geloven. #afval",
            "Volgens de gemeente komt de achterstand met de kliko's in Beijum door een kapotte vuilniswagen en zieke chauffeurs.",
            "Er rijdt vanavond een extra ronde voor de containers in Beijum, las ik op de site van de gemeente.",
            "Fijn dat de gemeente nu reageert over het afval in Beijum, maar dit had eerder gekund.",
        ],
        "relief": [
            "Eindelijk! De kliko's in Beijum zijn geleegd. Dank aan de ploeg die vandaag extra reed.",
            "Vuilniswagen net langs geweest in Beijum-Oost, alles opgehaald. Opgelucht en dankbaar voor de harde werkers.",
            "Goed opgelost: alle containers in Beijum zijn weer leeg en de straat is schoongeveegd. Top gedaan!",
            "Netjes gedaan, gemeente. Het afval in Beijum is weg en we kregen zelfs een brief met excuses.",
        ],
        "thread": ("Afval in Beijum al dagen niet opgehaald",
                   "Bij ons in Beijum zijn de kliko's al dagen niet geleegd en de ondergrondse containers zitten vol. Meeuwen halen de zakken open. Hebben meer mensen dit? Iemand al een reactie van de gemeente?"),
        "news": [
            (-20 * 60, "negative", "Bewoners Beijum boos: afval al dagen niet opgehaald",
             "In Beijum staan de kliko's en containers al dagen vol. Bewoners klagen over stank, meeuwen en ratten.",
             ["'Het is hier één grote vuilnisbelt', zegt een bewoner van Beijum-Oost. Buren hebben de gemeente meerdere keren gebeld, zonder resultaat.",
              "De gemeente laat weten het probleem te onderzoeken. Volgens een woordvoerder speelt een tekort aan chauffeurs een rol."]),
            (8 * 60, "negative", "Afvalproblemen Beijum lopen op: containers puilen uit",
             "De problemen met de afvalinzameling in Beijum worden groter. Op sociale media delen bewoners foto's van uitpuilende containers.",
             ["Ook in het winkelcentrum is de overlast zichtbaar. Winkeliers vegen zelf de stoep schoon.",
              "De wijkraad wil dat de gemeente vandaag nog met een oplossing komt."]),
        ],
        "answer": (12 * 60, "Excuses aan bewoners van Beijum: extra ophaalrondes",
                   "Door een defecte vuilniswagen en ziekte onder chauffeurs is de afvalinzameling in Beijum achtergebleven. Vanaf vandaag rijden er extra rondes.",
                   ["Wij bieden bewoners onze excuses aan. De achterstand wordt uiterlijk morgen ingehaald.",
                    "Meldingen van volle containers in Beijum krijgen voorrang. Bewoners kunnen losse zakken tijdelijk bij de extra container op het parkeerterrein van het winkelcentrum zetten."]),
        "answer_social": "We begrijpen de ergernis over het afval in Beijum. Door een kapotte vuilniswagen en zieke chauffeurs liepen we achter. Vandaag en morgen rijden extra rondes. Excuses voor de overlast.",
        "closing": (22 * 60, "Achterstand afvalinzameling Beijum ingehaald",
                    "Alle kliko's en containers in Beijum zijn geleegd. De extra container bij het winkelcentrum wordt morgen weggehaald.",
                    ["Dank aan de bewoners voor hun geduld en aan de medewerkers die extra rondes reden.",
                     "Ziet u nog een volle container? Meld het via de website of de app."]),
    },
    {
        "name": "bus-zernike",
        "theme": "openbaar-vervoer",
        "wijk": "Zernike",
        "starts": 45 * 60,
        "peak": 60 * 60,
        "resolved": 70 * 60,
        "ends": 80 * 60,
        "complaints": [
            "Geen enkele bus naar Zernike vanochtend. Tentamen om negen uur en ik sta hier nog bij het station. Wat is dit?",
            "Al {n} keer geen bus richting Zernike. Honderden studenten bij de halte en geen informatie. Dit is echt slecht.",
            "Storing bij de vervoerder en niemand weet iets. De app zegt dat de bus rijdt, maar er komt niks. Boos!",
            "Dienstregeling naar Zernike compleet in de war. Iedereen komt te laat voor college. Waardeloos geregeld.",
            "Hoe kan het dat er op een maandagochtend geen bus naar Zernike rijdt? Chaos bij het Hoofdstation.",
            "Lopend naar Zernike dan maar, de bus komt toch niet. Dit is de derde keer deze maand.",
        ],
        "response": [
            "De vervoerder meldt een storing in het systeem. Er rijdt elke tien minuten een extra bus richting Zernike, zeggen ze.",
            "Volgens de gemeente overlegt ze met de vervoerder over de uitval van de bus naar Zernike.",
            "Er rijden nu pendelbussen vanaf het station naar Zernike, aldus de vervoerder.",
        ],
        "relief": [
            "Bussen naar Zernike rijden weer volgens de dienstregeling. Dank aan de chauffeurs die extra ritten reden!",
            "Eindelijk weer een bus naar Zernike. Netjes opgelost, en de extra pendelbussen waren top.",
            "De bus rijdt weer richting Zernike. Fijn dat de vervoerder zo snel extra ritten inzette.",
        ],
        "thread": ("Geen bus naar Zernike vandaag?",
                   "Staan er meer mensen bij het station te wachten? Al een half uur geen bus richting Zernike en geen melding in de reisapp."),
        "news": [
            (50 * 60, "negative", "Busverkeer naar Zernike ontregeld door storing",
             "Door een storing bij de vervoerder reden vanochtend veel bussen naar Zernike niet. Honderden studenten kwamen te laat.",
             ["Op het station ontstonden lange rijen. Sommige studenten misten een tentamen.",
              "De universiteit laat weten coulant om te gaan met studenten die te laat kwamen."]),
        ],
        "answer": (60 * 60, "Extra bussen naar Zernike na storing",
                   "Na de storing bij de vervoerder rijden er vandaag extra pendelbussen tussen het station en Zernike.",
                   ["De gemeente heeft met de vervoerder afgesproken dat reizigers voortaan sneller worden geïnformeerd bij uitval.",
                    "Reizigers die schade hebben door de storing kunnen contact opnemen met de vervoerder."]),
        "answer_social": "Door een storing bij de vervoerder rijden bussen naar Zernike niet volgens de dienstregeling. Er rijden extra pendelbussen vanaf het station. We houden u op de hoogte.",
        "closing": (70 * 60, "Busverkeer naar Zernike weer normaal",
                    "De bussen naar Zernike rijden weer volgens de dienstregeling. De pendelbussen stoppen vanavond.",
                    ["Dank aan reizigers voor hun geduld.",
                     "Actuele reisinformatie staat in de reisplanner van de vervoerder."]),
    },
]
