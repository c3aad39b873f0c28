//! A lexicon of common UK given names and surnames, for names that come
//! with no cue.
//!
//! # Source, licence and size
//! Written by hand for this crate from knowledge of public name-frequency
//! statistics: the ONS "Baby names in England and Wales" tables (most
//! frequent first names, 1996 onwards), National Records of Scotland's
//! babies' first names, and the ONS/NHS Central Register surname frequency
//! counts, widened with names common in the UK's larger communities (South
//! Asian, West African, Somali, Polish, Romanian, Ukrainian, Chinese,
//! Filipino, Turkish, Portuguese, Irish, Welsh and Gaelic names). Names are
//! facts, not creative works; the list is released with the crate under
//! MIT OR Apache-2.0. No fake-data generator's word list was used. Words
//! that are more often ordinary English than names (`Mark`, `May`, `Hope`,
//! `Faith`, `Joy`, `Will`) and lab abbreviations (`Na`) are left out. The
//! first line of each list (sixteen names, all common in the UK) was added
//! after reading misses in the development split of the held-out corpus;
//! the test split was never read.
//!
//! 1,495 given names and 550 surnames (about 15 KB of text).
//!
//! # Cost
//! Each list is sorted once into a vector behind a 16384-bit word filter
//! (the scanner's `WordFilter`); the second pass consults them only for
//! capitalised words, so most words cost one bit test and a listed one a
//! binary search.

use std::sync::LazyLock;

use super::WordFilter;
use super::name::Fnv;
use std::collections::HashSet;

/// Given names, lowercase, space-separated.
const GIVEN: &str = "\
clodagh seonaid temitope damilola mavis tomas tomás ayanle liban \
aaliyah aarav aaron abbie abby abdi abdirahman abdul abdullah abdullahi abel abena abi \
abigail abimbola abiola abu ada adaeze adam adama adaobi adebayo adebola adedayo adeel \
adeola adeyemi adil aditi aditya adnan adrian adriana adwoa afia afua agata agatha agnes \
agnieszka ahmad ahmed ahmet aidan aiden aileen ailsa aimee aine aisha aishah aisling ajay \
akash akosua akua akwasi alan alana alastair albert alberto alec aleksandra alex alexa \
alexander alexandra alexandru alexis alfie alfred ali alice alicia alina alisha alison \
alistair alix aliya aliyu allan allison alma alun alyssa ama amal amanda amandeep amani \
amara amber amelia amelie amina aminah amir amira amit amna amos amrit amy ana anand \
anastasia anders andre andrea andreas andreea andrei andrew andrzej andy aneurin angela \
angelica angelo angharad angus anil anita anjali ann anna annabel annabelle anne annette \
annie anoushka anthony antoinette anton antonio anwar aoife april arabella archie arjun \
arlo arnold aron arran arthur arun arwen asa asad asha ashleigh ashley ashok ashton asif \
asim asma astrid athena aubrey audrey augustine aurelia austin ava avery awais axel ayaan \
ayan ayesha ayla ayodeji ayodele ayomide ayrton ayse aysel aysha ayşe azeem aziz babajide \
babatunde bailey balbir baljit barbara barnaby barry bartosz basia basil bea beata \
beatrice beatrix becky bella ben benedict benjamin bernadette bernard beryl bess beth \
bethan bethany betty beverley beverly bhavesh bhavna bianca bilal billie billy blessing \
bogdan bolu bonnie boris brandon brenda brendan brian bridget briony bronwen brooke bruce \
bryony bukky bukola burak caitlin caleb callum calum cameron camilla candice caoimhe cara \
carl carla carlos carly carmel carmen carol caroline carolyn carrie carys casey caspar \
cassandra cathal catherine cathy catrin catriona cecil cecilia cedric celia celine \
chantelle charity charlene charles charley charlie charlotte chelsea chen cheng cheryl \
chetan chiamaka chidi chidinma chika chinedu chinonso chinwe chioma chloe chloé chris \
chrissie christian christina christine christopher chuks chukwudi chukwuemeka cian ciara \
ciaran cillian claire clara clare clarissa claude claudia clifford clive cody colin \
colleen colm conall connie connor conor constance cora corinne cormac craig cristian \
cristina cynthia cyril dafydd daisy dale damian damien dan dana daniel daniela daniella \
danielle danny dara darcey darcie darcy darius darragh darren darryl daryl david davina \
dawid dayo dean debbie deborah debra declan deepa deepak deepika deirdre delroy demi denis \
denise dennis denzel derek dermot desmond destiny devon dhruv diana diane dianne dilip \
dilys dimitri dina dinah dionne dmitri dmitry dolores dominic dominika don donal donald \
donna doreen doris dorota dorothy dougal douglas duncan dylan eamon eamonn ebere ebony \
ebun eddie edith edmund edna edward edwin efe efua eileen eilidh eimear ejike elaine \
eleanor elena eleni eli elias elif elijah elin elis elisa elisabeth eliza elizabeth ella \
elle ellen ellie elliot elliott elodie eloise elsa elsie elspeth eluned elvis elzbieta \
emeka emil emile emilia emilie emily emma emmanuel emmeline emre emyr enid enzo eoghan \
eoin eric erica erin ernest esi esme esther ethan ethel euan eugene eunice eva evan \
evangeline eve evelyn evie ewa ewan ezra faduma fahad faisal fang farah farhan farhana \
farida farooq farzana fatima fatimah fatma fatuma fay faye felicity felix femi fergus fern \
fernando ffion fiachra finlay finley finn fintan fiona fionn fionnuala florence florin \
folake fong francesca francesco francis frank frankie fraser fred freddie freddy frederick \
freya funke funmi funmilayo gabriel gabriela gabriella gabrielle gail gareth garry gary \
gavin gayle geeta gemma geoffrey george georgia georgina gerald geraldine gerard gethin \
gheorghe gianni gideon gilbert gillian gina giorgio giovanni giulia giuseppe gladys glen \
glenda glenn gloria glyn gordon grace graham grainne grant greg gregor gregory greta \
gruffudd grzegorz gráinne gurdeep gurpreet gwen gwendolyn gwenllian gwilym gwyneth hafsa \
hailey haleema halima halyna hamish hamza hana hanif hanna hannah hao haris harjit harley \
harold harper harpreet harriet harrison harry harvey harvinder hasan hassan hatice hayden \
hayley hazel heather hector heidi helen helena henrietta henry herbert hester hilary hilda \
hitesh hodan hollie holly hong howard huda hugh hugo hui humaira humza hunter huw hyacinth \
hywel iain ian ibrahim ida idris iestyn ieuan ifan ifeanyi ifeoma igor ike ikechukwu ikram \
ilona imogen imran ina inaya inderjit indie ines ingrid innes inês ioana iolo iona ionut \
ira irena irene irina iris irma isa isaac isabel isabella isabelle isaiah isha ishaan isla \
ismail israel ivan ivana ivor ivy iwan izabela izzy jacek jack jackie jackson jacob \
jacqueline jacqui jade jagdeep jai jake jakub jamal james jamie jamila jan jane janet \
janice janina janine jas jasmin jasmine jason jaspal jasper jaspreet jaswinder javed \
javier jayden jayesh jayne jean jeanette jemima jenna jennifer jenny jeremy jermaine \
jerome jess jessica jill jim jimmy jing jo joan joanna joanne jocelyn jodie joe joel joey \
johan johanna john johnny jolanta jolene jon jonah jonathan jordan jorge jose josef joseph \
josephine josh joshua josie josé joyce juan judith judy jules julia julian juliana julie \
juliet julius jun june justin justyna kabir kacper kadeem kai kamal kamala kamil kamila \
kamran kane kara karen karim karina karl karolina kasia katarzyna kate katharine katherine \
kathleen kathryn kathy katie katrina katy kay kayla kayleigh keira keith kelly kelvin kemi \
kenneth kenny kerry kevin kezia khadija khalid kiara kieran kim kimberley kinga kiran \
kirsty kit kofi kojo krishna krystyna krzysztof kuldip kulwinder kwabena kwame kwasi kwok \
kyle lacey lachlan laila lakshmi lana lara larissa lata laura lauren laurence lawrence \
layla leah leanne lee lei leighton leila lena leo leon leona leonard leonie lesley leslie \
leticia letitia levi lewis lexi li lia liam libby lila lilian lillian lily lina linda \
lindsay lindsey ling lionel lisa liz liza lizzie llinos lloyd llyr logan lois lola lorna \
lorraine louie louis louisa louise luca lucas lucia lucian lucy luis luisa luka lukas \
lukasz luke luna lydia lyndsey lynn lynne mabel macy maddie madeleine madeline madison mae \
maeve magda magdalena maggie mahad mahesh mahmood mahmoud maia mairead mairi maisie maja \
malachy malcolm malgorzata malik mandeep mandy manjit manoj manpreet mansoor marc marcel \
marcia marco marcus marek margaret margarita margot maria mariam marian marianne marie \
marina mario marion marisa marissa marius marjorie marlene marsha marta martha martin \
martina marvin mary maryam mason mateusz matilda matt matthew maud maureen maurice max \
maximilian maxine maya małgorzata meena meera megan mehmet mei meinir melanie melissa \
meredith mervyn mhairi mia michael michaela michal michał michelle miguel mihai mikael \
mike mila milan milena miles millie milly ming minnie miranda miriam mitchell mohamed \
mohammad mohammed moira mollie molly mona monica monika morag morgan morven moses muhammad \
mukesh murdo mustafa myles myra nadeem nadia nadine naomi nasir nasreen natalia natalie \
natalya natasha nathan nathaniel navdeep naveed navjot neal neha neil nell nellie nerys \
ngozi nia niall niamh nicholas nick nicky nicola nicole nigel nikhil nikita nikki nilesh \
nina nirmala nisha nkechi nkem nnamdi noah noel noelle nora norah noreen norma norman \
nuala nur nuria nusrat obi obinna odette oisin oksana ola olamide olena olga oli olive \
oliver olivia ollie olu oluchi olumide oluwaseun oluwatobi omar omari omolara oona orla \
orlaith orson oscar osian owain owen pablo padraig paige pam pamela pankaj paolo paramjit \
paris parveen patricia patrick paul paula pauline pavel pawel paweł pearl pedro peggy \
penelope penny percy peter petra phil philip philippa phillip phoebe phyllis pierre piotr \
polly pooja poppy precious preeti prem priti priya priyanka prudence pádraig qasim qing \
rabia rachael rachel radek radhika rafael rafal rahim rahul raj rajan rajesh rajinder \
rajwinder rakesh ralph ramesh rana rania raphael rashid ravi ravinder raymond rebecca \
reece reggie reginald rehana rekha reuben rhian rhiannon rhodri rhona rhys ria ricardo \
richard rick ricky riley rita robbie robert roberta roberto robin rocco rohan roisin roman \
rona ronald ronan ronnie rory rosa rosalind rosanna rosario rosemary rosie ross rowan \
roxanne roy rubina ruby rudy rufus rui rukhsana rupert russell ruth ryan róisín sabrina \
sachin sade sadia safa safiya sahil sahra saima sajid sally salma salman sam samantha \
sameer samina samir samira samuel sandeep sandra sanjay sanjeev saoirse sara sarah sasha \
saskia saul scarlett scott seamus sean sebastian segun selina selma seren serena sergei \
seth shabana shaheen shahid shakeel shamima shane shani shannon sharon shaun shauna shazia \
sheila shelley sherry shilpa shirley shona shreya sian siddharth sienna simon simone \
sinead siobhan sion sioned siu siân smita sofia sofie sonia sonny sophia sophie stacey \
stanisław stanley stefan stella stephanie stephen steve steven stewart struan stuart \
sukhjinder sukhwinder sunil sunita susan suzanne svetlana sybil syed sylvia tadeusz tahir \
tahira tamara tamsin tania tanya tao tara taras tariq tasha tatiana terence teresa teri \
terry tess tessa thea theo theodore theresa thomas tiago tim timothy tina tobi toby todd \
tolu tom tomasz tommy toni tony tracey tracy travis trevor tristan troy tudur tunde tyler \
uche ursula usha uzma valentina valerie vanessa vasyl vera veronica vicky victor victoria \
vihaan vijay vikram vince vincent vinod viola violet virginia vivian vivienne wanda warren \
warsame wayne wei wendy wesley wiktoria wilfred william willow winifred winston wioletta \
wojciech xavier xiao yaa yan yasmin yasmine yaw yemi yemisi yetunde ying yolanda yousef yu \
yulia yuri yusuf yvette yvonne zac zach zachary zahra zainab zak zara zaynab zbigniew \
zeynep zhen zoe zofia zoë zuzanna łukasz";

/// Surnames, lowercase, space-separated.
const SURNAMES: &str = "\
adeyemi afolabi crabtree pickering choudhury pennington shevchenko \
abara abdi achebe adamczyk adams adeleke aden adewale adeyemo afolayan agarwal agbaje \
ahmadi ahmed akande akinola akintola alam ali allen almeida alvarez anderson andrews \
ansari anwar appiah armstrong arora arslan asghar aslam atkinson aydin azam babatunde \
bailey bajwa baker ball banerjee barker barnes barrett bashir bates bautista beddoe begum \
bell bennett berry bhatt bhatti bianchi bird bishop boakye bondarenko booth bowen bradley \
brennan brooks brown bruno buchanan burgess burke burns burton butler byrne cameron \
campbell carr carter carvalho celik chambers chan chapman chaudhry chauhan chen cheung \
choi chowdhury chukwu clark clarke cole coleman collins colombo constantin conti cook \
cooke cooper cox cross cruz curtis dabrowski danso dar darko das davies davis dawson day \
de dean dela demir diaz dixon docherty dogan doherty doyle drummond dudek duffy dumitru \
dunn dutta edwards elliott ellis evans eze farah farooq ferguson fernandes fernandez \
ferrari fisher fitzgerald flanagan fletcher flynn ford foster fox francis fraser freeman \
frimpong gallagher gallo garcia gardner george gheorghe gibson gilbert gill gillespie \
gomes gomez gonzalez gordon grabowski graham grant gray greco green gregory grey griffin \
griffith griffiths guo gupta gwynne gyamfi haider hall hamilton haq harding hardy harper \
harris harrison hart harvey hassan hawkins hayes he henderson hersi higgins hill ho \
hodgson holland holmes hopkins hossain howard howells hu huang hudson hughes hunt hunter \
hussain hutchinson ionescu iqbal islam jablonski jackson jain jama james jankowski javed \
jenkins johnson johnston jones jordan joshi kaminska kapur karim kaur kavanagh kaya keane \
kelly kennedy kerr khan kim king knight kovalenko kowalski kozlowski kravchenko krawczyk \
kumar kusi lambert lane lau lawrence le lee leung lewandowski lewis li lin liu llewellyn \
lloyd long lopes lopez lowe luca luo lynch ma macdonald macdougall macinnes mackay \
mackenzie mackintosh maclean maguire majewski malik malinowski mancini mann marino marsh \
marshall martin martinez martins mason masood matthews may mazur mcallister mcauley \
mcbride mccallum mccann mccarthy mcdonald mcdonnell mcgowan mcgrath mcgregor mcguire \
mcintosh mcintyre mckay mckenzie mclaughlin mclean mcleod mcmahon mcnally mehta melnyk \
mendoza meredith michalski miller mills mirza mistry mitchell mohamud moore morgan morris \
moss mukherjee mulligan munro munteanu murphy murray naidoo nair naqvi newman newton ng \
nguyen nicholls nicholson nolan nowakowski nwosu o'brien o'connor o'donnell o'hara o'neill \
o'reilly o'sullivan obi ocampo odukoya ofori-atta ogunbiyi okeke okoro okoye oladipo \
olaniyan oliveira oliver olszewski onyeka opoku osborne owen owusu-ansah oyewole ozdemir \
ozturk page palmer park parker parry parsons patel paterson pawlak payne pearce pearson \
pereira perez perry pham phillips pinto piotrowski popa popescu porter potter powell pratt \
price pritchard probert prosser pugh quinn qureshi rahman raja rana rao rashid raza reddy \
reed rees reid reilly reyes reynolds riaz ribeiro ricci richards richardson riley roberts \
robertson robinson robson rodrigues rodriguez rogers romano romero rose ross rossi rowe \
rowlands ruiz russell russo rusu ryan saeed sahin sanchez sandhu santos sarkar sarpong \
saunders scott sethi shah shaikh sharma sharp shaw shepherd sheridan siddiqui sidhu silva \
simpson sinclair singh smith solanki sousa spencer stan stepien stevens stewart stone sun \
sutton sweeney szymanski taylor thomas thompson tiwari tkachenko torres tran turner \
uchenna vaughan verma villanueva walker wallace walsh walton wang ward warren warsame \
watkins watson watts webb webster wells west wheeler white wieczorek wilkinson williams \
williamson wilson wojcik wong wood woods wozniak wright wu xu yadav yang yates yeboah \
yildirim yildiz yilmaz yip young zaman zhao zhou zhu zielinski";

/// A word list behind a filter, held in a hash set (one hash and, most
/// often, one comparison per lookup, where a binary search made eleven).
pub(crate) struct Lexicon {
    filter: WordFilter,
    words: HashSet<&'static str, Fnv>,
    /// Also take a word no vocabulary knows ([`unknown_capitalised`]).
    unknown: bool,
}

impl Lexicon {
    fn new(src: &'static str) -> Self {
        let words: HashSet<&'static str, Fnv> = src.split_whitespace().collect();
        let mut filter = WordFilter::empty();
        for w in &words {
            filter.insert(w.as_bytes());
        }
        Lexicon {
            filter,
            words,
            unknown: false,
        }
    }

    /// Might the ASCII word `b[s..e]` (any case) be on the list?
    pub(crate) fn may_contain(&self, b: &[u8], s: usize, e: usize) -> bool {
        self.filter.may_contain(b, s, e) || (self.unknown && unknown_ascii(b, s, e))
    }

    /// Is the word (any case, a possessive `'s` ignored) on the list? For
    /// [`SURNAME_LIST`] also: is it a capitalised word that no vocabulary
    /// knows ([`unknown_capitalised`]; never a possessive)?
    pub(crate) fn contains(&self, word: &str) -> bool {
        // A possessive is never unknown: `unknown_capitalised` refuses
        // contractions, `'s` among them.
        self.listed(word) || (self.unknown && unknown_capitalised(word))
    }

    /// Is the word (any case, a possessive `'s` ignored) on the list itself,
    /// leaving out unknown words?
    pub(crate) fn listed(&self, word: &str) -> bool {
        let w = word
            .strip_suffix("'s")
            .or_else(|| word.strip_suffix("’s"))
            .or_else(|| word.strip_suffix("'S"))
            .unwrap_or(word);
        self.contains_exact(w)
    }

    fn contains_exact(&self, word: &str) -> bool {
        let b = word.as_bytes();
        if b.is_ascii() {
            if !self.filter.may_contain(b, 0, b.len()) {
                return false;
            }
            let mut buf = [0u8; 32];
            let Some(dst) = buf.get_mut(..b.len()) else {
                return false;
            };
            dst.copy_from_slice(b);
            dst.make_ascii_lowercase();
            let Ok(w) = core::str::from_utf8(dst) else {
                return false;
            };
            return self.words.contains(w);
        }
        let w = word.to_lowercase();
        self.words.contains(w.as_str())
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.words.len()
    }
}

/// Common given names.
pub(crate) static GIVEN_NAMES: LazyLock<Lexicon> = LazyLock::new(|| Lexicon::new(GIVEN));

/// Common surnames, and any capitalised word that no vocabulary knows
/// ([`unknown_capitalised`]): most such words in a clinical message are
/// names.
pub(crate) static SURNAME_LIST: LazyLock<Lexicon> = LazyLock::new(|| {
    let mut l = Lexicon::new(SURNAMES);
    l.unknown = true;
    l
});

/// Ordinary English, lowercase, one word a line: SCOWL's English and
/// British word lists of size 50 or less and its capitalised words
/// (nationalities, languages, months) of size 40 or less. Regenerated by
/// `redact/data/gen_english.py`; source and licence in `docs/REDACTION.md`.
const ENGLISH_WORDS: &str = include_str!("../../data/english.txt");

/// Capitalised words that are not names and that the English vocabulary
/// lacks: UK places and hospitals, languages, organisations, and drugs by
/// brand or generic name that the stems in [`DRUG_ENDINGS`] miss.
const NOT_NAMES: &str = "\
ysbyty glan clwyd gwynedd bronglais alltwen penarth cwm taf hywel dda meddygfa tywi powys \
morgannwg betsi cadwaladr aneurin bevan cymru raigmore ninewells craigavon antrim derry \
lisburn altnagelvin ulster newry omagh enniskillen coleraine ballymena armagh dungannon \
belfast cardiff swansea newport wrexham bangor caernarfon aberystwyth carmarthen llanelli \
merthyr rhondda pontypridd bridgend neath glasgow edinburgh aberdeen dundee inverness \
stirling falkirk kirkcaldy dunfermline motherwell lanarkshire lothian tayside grampian \
dumfries galloway wishaw monklands hairmyres paisley kilmarnock leeds manchester liverpool \
birmingham bristol sheffield nottingham leicester coventry bradford newcastle sunderland \
wolverhampton preston blackburn bolton wigan oldham stockport croydon luton oxford \
cambridge norwich ipswich exeter plymouth southampton portsmouth brighton derby \
hull york lancaster carlisle grantham chorley horsforth grimsby cheadle salford \
rochdale burnley blackpool middlesbrough gateshead doncaster rotherham barnsley wakefield \
huddersfield halifax harrogate scarborough lincoln peterborough northampton milton keynes \
swindon gloucester cheltenham worcester hereford shrewsbury telford stafford walsall \
dudley sandwell solihull redditch bedford watford stevenage hertford chelmsford colchester \
southend basildon maidstone canterbury tunbridge crawley guildford woking slough \
basingstoke winchester salisbury bournemouth poole dorchester taunton truro torquay \
whitechapel hackney lewisham southwark lambeth islington camden tottenham brixton \
peckham ealing hillingdon haringey walthamstow ilford romford woolwich wandsworth \
hammersmith fulham westminster paddington marylebone stanmore harefield homerton \
priory nhs trust datix trakcare accurx emis systmone rio cerner epic ice \
welsh scottish irish gaelic cymraeg polish romanian lithuanian latvian hungarian \
bulgarian ukrainian albanian kurdish farsi dari pashto urdu punjabi gujarati bengali \
sylheti tamil tigrinya amharic somali oromo igbo yoruba twi hausa swahili lingala \
mandarin cantonese vietnamese tagalog turkish arabic portuguese ethiopian eritrean \
sudanese nigerian ghanaian pakistani bangladeshi afghan iranian iraqi syrian \
epilim chrono nutrizym creon jardiance forxiga humira abilify maintena aquacel sinemet \
madopar oramorph zomorph oxynorm oxycontin tazocin augmentin movicol laxido fortisip \
fortisips calogen buscopan gaviscon peptac adcal calcichew fultium invita ventolin \
seretide symbicort fostair spiriva trimbow relvar clenil qvar lantus levemir novorapid \
humalog humulin tresiba toujeo trulicity ozempic victoza mounjaro eliquis xarelto \
lixiana pradaxa clexane fragmin innohep keppra tegretol lamictal zoloft prozac cipralex \
diazemuls buccolam epipen emerade jext dermol doublebase epimax zerobase cetraben \
hydromol sudocrem cavilon medihoney inadine mepilex allevyn duoderm tegaderm opsite \
mepore granuflex kaltostat flamazine bactroban naseptin fucidin canesten daktarin \
nystan difflam corsodyl syntocinon parvolex pabrinex ferinject monofer venofer sandocal \
paxlovid entonox picolax kleanprep moviprep glucogel hypostop dioralyte oralyte \
paracetamol ibuprofen naproxen diclofenac codeine tramadol fentanyl morphine \
oxycodone methadone buprenorphine naloxone heparin warfarin aspirin insulin metformin \
gliclazide levothyroxine furosemide bumetanide spironolactone digoxin amiodarone \
adenosine atropine adrenaline noradrenaline dobutamine glucagon dextrose thiamine \
haloperidol lorazepam midazolam diazepam clonazepam chlordiazepoxide olanzapine \
quetiapine risperidone aripiprazole clozapine lithium valproate phenytoin gabapentin \
pregabalin salbutamol ipratropium ondansetron metoclopramide cyclizine domperidone \
loperamide senna lactulose macrogol tranexamic alteplase tenecteplase oxytocin \
ergometrine misoprostol mifepristone nifedipine labetalol methyldopa terbutaline \
cefalexin trimethoprim nitrofurantoin gentamicin vancomycin teicoplanin linezolid \
daptomycin meropenem ertapenem cefuroxime ceftriaxone ceftazidime cefotaxime \
metronidazole rifampicin isoniazid ethambutol pyrazinamide aciclovir oseltamivir \
fluconazole methotrexate hydroxychloroquine azathioprine mycophenolate tacrolimus \
ciclosporin allopurinol colchicine denosumab filgrastim epoetin acetylcysteine \
co-amoxiclav co-codamol co-trimoxazole sando-k kay-cee-l \
covid sars mrsa clostridium pseudomonas klebsiella staphylococcus streptococcus \
glasgow parkinson alzheimer crohn addison cushing graves hodgkin wernicke korsakoff \
guillain barre kawasaki gillick fraser bazett wells waterlow braden moriarty \
addisonian ehlers danlos kocher nissen allis holter doppler kleihauer guthrie dravet \
foley pyxis omnicell vygon darzi wi-fi resus rota paeds peds obs ortho gynae haem onc \
neuro derm rheum endo micro anaesth anaesthetics phlebotomy handover rebook tto ttos \
venflon shingrix comirnaty spikevax prolia mirena nexplanon kreon lyrica calpol nurofen \
septrin rifater rifinah ozurdex beriplex octaplex depo-provera sayana zoladex evorel \
estradot omnipaque utrogestan cyclogest clexane dalteparin betnovate eumovate dermovate \
morriston derriford glangwili wythenshawe mater ayrshire arran nairn portree brynmawr \
addenbrooke alder frimley pinderfields airedale southmead musgrove treliske yeovil \
gartnavel yorkhill hairmyres crosshouse causeway altnagelvin royal ysgol \
med meds surg resp cardio gastro uro neph nephro geri geris psych ent ophth maxfax \
plastics vasc primip multip primigravida multigravida gravida nulliparous multiparous \
sats bloods ecg echo obs mobilising mobilise rehab reablement physio physios salt \
dietetics ot ots hca hcas dn dns pharm tbc tba nbm ttas \
stevens-johnson guillain-barre guillain-barré ehlers-danlos wolff-parkinson-white \
creutzfeldt-jakob mallory-weiss budd-chiari osgood-schlatter charcot-marie-tooth \
henoch-schonlein henoch-schönlein zollinger-ellison \
tel num nr ext addr hosp pmh hpc ddx fhx shx sats abdo resp neuro cvs bibs imp \
hiya pls plz thx tmrw tmw tonite msg ppl wknd appt appts apols asap fyi btw obvs tbh";

/// Endings of drug names (generic stems) and of medical terms (conditions,
/// procedures, tests, specialties, lab values): a capitalised word ending in
/// one is not a name (`Omeprazole`, `Pyelonephritis`, `Cholecystectomy`,
/// `Troponin`, `Haematology`).
const DRUG_ENDINGS: [&str; 70] = [
    "azole",
    "prazole",
    "pril",
    "olol",
    "statin",
    "sartan",
    "cillin",
    "mycin",
    "floxacin",
    "cycline",
    "parin",
    "xaban",
    "gatran",
    "semide",
    "tidine",
    "azepam",
    "zolam",
    "apine",
    "oxetine",
    "triptyline",
    "ovir",
    "avir",
    "setron",
    "tropium",
    "terol",
    "asone",
    "olone",
    "ximab",
    "zumab",
    "umab",
    "lukast",
    "gliptin",
    "gliflozin",
    "glutide",
    "dronate",
    "platin",
    "rubicin",
    "taxel",
    "tinib",
    "penem",
    "ocaine",
    "amine",
    "azine",
    "idine",
    "afil",
    "itis",
    "osis",
    "ectomy",
    "otomy",
    "ostomy",
    "plasty",
    "scopy",
    "graphy",
    "aemia",
    "emia",
    "uria",
    "algia",
    "pathy",
    "ology",
    "ologist",
    "plegia",
    "penia",
    "lysis",
    "rrhage",
    "rrhoea",
    "globin",
    "rubin",
    "onin",
    "umin",
    "ase",
];

static ENGLISH: LazyLock<HashSet<&'static str, Fnv>> = LazyLock::new(|| {
    // Sized once (no rehashing) and split on newlines, not on any
    // whitespace: building it is a one-off cost of the first scan.
    let mut set = HashSet::with_capacity_and_hasher(64 * 1024, Fnv);
    set.extend(
        ENGLISH_WORDS
            .lines()
            .filter(|w| !w.is_empty() && !w.starts_with('#')),
    );
    set.extend(NOT_NAMES.split_whitespace());
    set
});

/// Is the word (any case) on the hand list of places, languages, devices
/// and drugs ([`NOT_NAMES`])?
pub(crate) fn listed_not_name(word: &str) -> bool {
    static SET: LazyLock<HashSet<&'static str, Fnv>> =
        LazyLock::new(|| NOT_NAMES.split_whitespace().collect());
    with_lowercase(word, |lower| SET.contains(lower))
}

/// Call `f` with the word in lowercase: on the stack for an ASCII word of
/// up to 32 bytes, else in a new string.
pub(crate) fn with_lowercase<T>(word: &str, f: impl FnOnce(&str) -> T) -> T {
    let b = word.as_bytes();
    let mut buf = [0u8; 32];
    if b.is_ascii()
        && let Some(dst) = buf.get_mut(..b.len())
    {
        dst.copy_from_slice(b);
        dst.make_ascii_lowercase();
        if let Ok(lower) = core::str::from_utf8(dst) {
            return f(lower);
        }
    }
    f(&word.to_lowercase())
}

/// Is the word capitalised (a capital, then at least one lowercase letter),
/// at least three letters long, and unknown to ordinary English, to the
/// places, languages and drugs above, and (hyphenated) in every part of
/// three or more letters (`Anna-Liisa`, but not `Pre-alert`, `Child-Pugh`)?
/// Such a word in a clinical message is most often a name: `Nowak`,
/// `Otieno`, `Karimi`.
pub(crate) fn unknown_capitalised(word: &str) -> bool {
    let mut chars = word.chars();
    if !chars.next().is_some_and(char::is_uppercase) || !chars.any(char::is_lowercase) {
        return false;
    }
    if word.chars().count() < 3 {
        return false;
    }
    with_lowercase(word, unknown_lowercase)
}

/// Is the lowercase word ordinary English (or a place, language or drug
/// above)?
pub(crate) fn english(lower: &str) -> bool {
    ENGLISH.contains(lower)
}

/// Is the word (any case) ordinary English, or, hyphenated, is a part of
/// three or more letters? (`unknown_capitalised` without the case tests.)
pub(crate) fn english_words(word: &str) -> bool {
    !with_lowercase(word, unknown_lowercase)
}

/// [`unknown_capitalised`] after the case tests, on the lowercased word.
fn unknown_lowercase(lower: &str) -> bool {
    let last = lower.as_bytes().last();
    if ENGLISH.contains(lower)
        || DRUG_ENDINGS
            .iter()
            .any(|d| d.as_bytes().last() == last && lower.ends_with(d))
    {
        return false;
    }
    // A contraction (`I'm`, `We'll`, `Didn't`) is not a name.
    if let Some((_, tail)) = lower.rsplit_once(['\'', '’'])
        && matches!(tail, "m" | "s" | "ll" | "ve" | "re" | "d" | "t")
    {
        return false;
    }
    !lower
        .split(['-', '\'', '’'])
        .any(|p| p.len() >= 3 && ENGLISH.contains(p))
}

/// [`unknown_capitalised`] for the ASCII word `b[s..e]`, without allocating.
fn unknown_ascii(b: &[u8], s: usize, e: usize) -> bool {
    // The same test as the tokens' (`Lexicon::contains`), so that a word the
    // second pass skips as dead is never one it would keep as an anchor.
    b.get(s..e)
        .and_then(|w| core::str::from_utf8(w).ok())
        .is_some_and(unknown_capitalised)
}

/// Letters only (hyphens and apostrophes inside), not a possessive, and no
/// capital after the first but after `Mc`, `Mac`, an apostrophe or a hyphen.
pub(crate) fn lone_shape(w: &str) -> bool {
    if w.ends_with("'s") || w.ends_with("’s") || w.ends_with(['\'', '’', '-']) {
        return false;
    }
    // The part since the last apostrophe or hyphen, as a byte range.
    let mut part = 0;
    for (i, c) in w.char_indices() {
        if matches!(c, '\'' | '’' | '-') {
            part = i + c.len_utf8();
        } else if !c.is_alphabetic()
            || (c.is_uppercase() && i > part && !matches!(w.get(part..i), Some("Mc" | "Mac")))
        {
            return false;
        }
    }
    true
}

/// Nouns after a name in the possessive or a capitalised word that make
/// it an eponym (`Bell's palsy`, `Addison's disease`, `Lyme disease`); the
/// word in lowercase.
pub(crate) fn eponym_noun(w: &str) -> bool {
    matches!(
        w,
        "disease"
            | "syndrome"
            | "sign"
            | "palsy"
            | "law"
            | "test"
            | "score"
            | "scale"
            | "criteria"
            | "phenomenon"
            | "manoeuvre"
            | "fracture"
            | "ulcer"
            | "lymphoma"
            | "sarcoma"
            | "tumour"
            | "triad"
            | "procedure"
            | "operation"
    )
}

/// Words after a capitalised word that make it an eponym, a test, a device
/// or a place (`Lyme disease`, `Ottawa rules`, `Foley catheter`).
pub(crate) fn eponym_after(w: &str) -> bool {
    with_lowercase(w, eponym_after_lowercase)
}

/// [`eponym_after`] on the word in lowercase.
fn eponym_after_lowercase(w: &str) -> bool {
    eponym_noun(w)
        || matches!(
            w,
            "rules"
                | "antigen"
                | "catheter"
                | "lab"
                | "trolley"
                | "coordinator"
                | "repair"
                | "classification"
                | "grade"
                | "stage"
                | "type"
                | "bundle"
                | "protocol"
                | "pathway"
                | "tube"
                | "drain"
                | "pump"
                | "mask"
                | "valve"
                | "dressing"
                | "splint"
                | "frame"
                | "mattress"
                | "oesophagus"
                | "pouch"
                | "care"
                | "homecare"
                | "group"
                | "trust"
                | "primary"
                | "grange"
                | "crisis"
                | "method"
                | "clamp"
                | "machine"
                | "implant"
                | "result"
                | "results"
                | "fellow"
                | "interviews"
                | "healthcare"
                | "council"
                | "services"
                | "service"
                | "partnership"
                | "foundation"
                | "hub"
                | "ltd"
                | "limited"
        )
}

/// Is the word two ordinary words of three or more letters run together
/// (`Oakhurst`, `Willowbrook`, `Crosshouse`)?
pub(crate) fn two_words(w: &str) -> bool {
    if !w.is_ascii() || w.len() < 6 {
        return false;
    }
    let l = w.to_ascii_lowercase();
    (3..=l.len() - 3).any(|k| l.get(..k).is_some_and(english) && l.get(k..).is_some_and(english))
}

/// Relatives and a patient's own things, after a name in the possessive
/// (`Ifeoma's mum`, `Teodora's bloods`); the word as written, lowercase.
pub(crate) fn patients_own(w: &str) -> bool {
    matches!(
        w,
        "mum"
            | "mother"
            | "dad"
            | "father"
            | "baby"
            | "son"
            | "daughter"
            | "wife"
            | "husband"
            | "partner"
            | "carer"
            | "family"
            | "parents"
            | "school"
            | "bloods"
            | "obs"
            | "results"
            | "meds"
            | "medication"
            | "notes"
            | "scan"
            | "referral"
            | "discharge"
            | "summary"
            | "record"
            | "records"
            | "feeds"
            | "cannula"
            | "catheter"
            | "wound"
            | "dressing"
            | "bed"
    )
}

/// What a patient does, after a given name alone (`Precious needs iron`,
/// `Kirsty (informal) wants to self discharge`).
pub(crate) fn patient_doing(w: &str) -> bool {
    matches!(
        w,
        "wants"
            | "needs"
            | "asks"
            | "asking"
            | "refusing"
            | "refused"
            | "declined"
            | "declining"
            | "pulled"
            | "kicking"
            | "crying"
            | "complaining"
            | "vomiting"
            | "agitated"
            | "confused"
            | "wandering"
            | "absconded"
            | "awol"
            | "desatting"
            | "spiking"
            | "febrile"
            | "tachy"
            | "collapsed"
            | "fell"
    )
}

/// Words before a capitalised word that make it a place or a thing (`at
/// Kamsons`, `her Mirena`, `Royal Gwent`, `Ysbyty Gwynedd`).
pub(crate) fn place_before(w: &str) -> bool {
    matches!(
        w,
        "at" | "in"
            | "from"
            | "via"
            | "near"
            | "on"
            | "the"
            | "her"
            | "his"
            | "their"
            | "of"
            | "post"
            | "Royal"
            | "St"
            | "Saint"
            | "NHS"
            | "Ysbyty"
            | "Ysgol"
            // A drug after a prescribing verb (`started Jardiance`).
            | "started"
            | "start"
            | "restart"
            | "restarted"
            | "stop"
            | "stopped"
            | "given"
            | "prescribed"
            | "dispensed"
            | "increase"
            | "increased"
            | "reduce"
            | "reduced"
            | "withhold"
            | "withheld"
            | "switch"
            | "switched"
            | "commenced"
            | "taking"
            | "using"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups_fold_case_and_accents_must_match() {
        assert!(GIVEN_NAMES.contains("Margaret"));
        assert!(GIVEN_NAMES.contains("MARGARET"));
        assert!(GIVEN_NAMES.contains("Zoë"));
        assert!(!GIVEN_NAMES.contains("Mark"));
        assert!(!GIVEN_NAMES.contains("Na"));
        assert!(SURNAME_LIST.contains("Thompson"));
        assert!(!SURNAME_LIST.contains("Paracetamol"));
        assert!(GIVEN_NAMES.len() > 1000 && SURNAME_LIST.len() > 400);
    }

    #[test]
    fn unknown_words_are_capitalised_and_in_no_vocabulary() {
        for w in [
            "Nowak",
            "Ahmadzai",
            "Karimi",
            "Anna-Liisa",
            "Owusu-Ansah",
            "Żółć",
        ] {
            assert!(unknown_capitalised(w), "{w}");
        }
        for w in [
            "nowak",       // lowercase
            "NOWAK",       // capitals: an acronym as often as a name
            "Al",          // too short
            "Paracetamol", // a drug on the hand list
            "Omeprazole",  // a drug stem
            "Ramipril",
            "Pyelonephritis", // a medical term's ending
            "Cholecystectomy",
            "Troponin",
            "Haematology",
            "Ysbyty",    // a place
            "Tigrinya",  // a language
            "Pre-alert", // an English part
            "Child-Pugh",
            "I'm", // a contraction
            "Couldn't",
            "Welsh",    // SCOWL's capitalised words
            "Handover", // hand list
            "Table",    // ordinary English
        ] {
            assert!(!unknown_capitalised(w), "{w}");
        }
        // The byte path agrees with the char path on ASCII words.
        for w in ["Nowak", "Table", "Omeprazole", "Ab", "NOWAK", "Karimi"] {
            assert_eq!(
                unknown_ascii(w.as_bytes(), 0, w.len()),
                unknown_capitalised(w),
                "{w}"
            );
        }
        // Listed names win over the vocabulary: `Hope` is not unknown, but a
        // listed surname that is also English is still a surname.
        assert!(SURNAME_LIST.contains("Smith") && !unknown_capitalised("Smith"));
        assert!(SURNAME_LIST.contains("Nowak") && !SURNAME_LIST.listed("Nowak"));
        assert!(!SURNAME_LIST.contains("Nowak's"));
    }

    #[test]
    fn lone_word_shapes_and_compounds() {
        for w in ["McKeown", "MacIntyre", "O'Driscoll", "Mbeki-Lyons", "Nowak"] {
            assert!(lone_shape(w), "{w}");
        }
        for w in [
            "QTc",
            "FibroScan",
            "HbS",
            "Hartmann's",
            "Colles'",
            "CHA2DS2",
            "Nowak-",
        ] {
            assert!(!lone_shape(w), "{w}");
        }
        assert!(two_words("Oakfield") && two_words("Willowbrook") && two_words("Crosshouse"));
        assert!(!two_words("Nowak") && !two_words("Karimi") && !two_words("Oak"));
        assert!(english("the") && english("fracture") && !english("nowak"));
    }
}
