/* English tokenizer rules, following the conventions of the Universal
 * Dependencies English Web Treebank: contractions split as "did" "n't",
 * "I" "'m", "gon" "na"; the possessive "'s" split off; hyphens split between
 * words except after bound prefixes ("non-", "re-", "e-"); number ranges
 * split but phone numbers kept; runs of one punctuation mark ("!!!", "--",
 * "<<") kept together; URLs and e-mail addresses kept whole.
 *
 * The patterns use the dialect of tokenizer/pattern.h. In C strings every
 * backslash of the dialect is doubled.
 */
#include "lang.h"

/* Runs of one punctuation mark are one token ("!!!", "...", "--", ">>"),
 * and so is a mixed run of sentence-final marks ("?!", ".?"). */
#define EN_PUNCT_RUNS                                                          \
    "\\.\\.+", "…+", "[.!?]*[!?][.!?]*", "-+", "\\(+", "\\)+", "\\[+",         \
        "\\]+", "\\{+", "\\}+", "<+", ">+", "_+", "#+", "\\*+", "&+", "=+",    \
        ",+", ":+", ";+", "~+", "\\|+"

/* Quote marks, doubled ASCII quotes first so that '' stays one token. */
#define EN_QUOTES                                                              \
    "''|’’|‘’|‘‘|``|\"\"",                                                     \
        "['\"”“`‘´’‚„»«「」『』（）〔〕【】《》〈〉]"

#define EN_CURRENCY "US\\$|C\\$|A\\$|\\$+|[£€¥฿₽₹₩₪₫₱₴₺₿¢]"

static const char *const en_prefixes[] = {
    EN_PUNCT_RUNS,
    EN_QUOTES,
    EN_CURRENCY,
    "[§%—–¿¡。？！，、；：～·]",
    "\\++(?!\\d)", /* "+5" stays a number */
    "\\o",         /* symbols, and invalid UTF-8 bytes (read as U+FFFD) */
    NULL,
};

static const char *const en_suffixes[] = {
    EN_PUNCT_RUNS,
    EN_QUOTES,
    "[—–。？！，、；：～·]",
    "\\o",
    "'s|'S|’s|’S", /* the possessive: "Bush's" -> "Bush" "'s" */
    "(?<=\\d)\\+",
    "(?<=\\a)\\++", /* grades and ratings: "A+" -> "A" "+" ("C++" is special) */
    "(?<=\\d)(US\\$|C\\$|A\\$|[$£€¥₹¢])",
    /* Units and times after a number: "10km", "7:30PM", "65k". */
    "(?<=\\d)(km|km²|km³|m|m²|m³|dm|cm|mm|µm|nm|ha|yd|in|ft|kg|g|mg|µg|lb|lbs|"
    "oz|t|hPa|Pa|mbar|mb|MB|kb|KB|gb|GB|tb|TB|T|G|M|K|k|%|mph|kmh|am|pm|AM|"
    "PM|a.m.|p.m.|A.M.|P.M.)",
    /* A full stop after a lower-case word, a number or closing punctuation
     * ends a sentence; after a capital it ends an abbreviation ("Dr."),
     * unless two capitals precede it ("USA."). */
    "(?<=[\\l\\d%²\\-+)\\]}>'\"”’])\\.",
    "(?<=\\u\\u)\\.",
    NULL,
};

static const char *const en_infixes[] = {
    "\\.\\.+",
    "…+",
    "\\o",
    "(?<=\\d)[+*^](?=[\\d\\-])",
    "(?<=\\d)-(?=[\\d\\-])", /* ranges: "1969-1970" */
    "(?<=[\\l'\"”’])\\.(?=[\\u'\"“‘])", /* a missing space: "end.The" */
    "(?<=\\a),(?=\\a)",
    "(?<=[\\a\\d])(---|--|——|-|–|—|~)(?=\\a)",
    "(?<=[\\a\\d])[:<>=/](?=\\a)", /* "and/or" */
    "(?<=[\\a\\d])\\((?=[\\a\\d])", /* "account(s)" */
    "(?<=\\a)\\)(?=\\a)",
    NULL,
};

/* Whole chunks kept as one token; tried before each affix is split off. */
static const char *const en_token_match[] = {
    /* Bound prefixes keep their hyphen: "non-commercial", "e-mail". */
    "(?i)(e|non|pre|post|re|co|anti|pro|semi|multi|ex|mid|sub|neo|micro|intra|"
    "inter|counter|over|un|socio|psycho|arch|cross)-\\a[\\a\\-]*",
    /* Phone numbers, ZIP+4 codes, dates with hyphens. */
    "\\d{3}-\\d{4}",
    "\\d{5}-\\d{4}",
    "\\d+(-\\d+){2,}",
    "\\(\\d{3}\\)\\d{3}-\\d{4}",
    "\\d-\\d{4}",
    "\\a/\\a", /* "b/c", "I/C" */
    "#\\a\\w*", /* hashtags */
    NULL,
};

/* URLs and e-mail addresses: an optional scheme and user, a host name
 * ending in a lower-case top-level domain (or an IPv4 address), an
 * optional port and path. Tried after prefixes and suffixes are gone, so a
 * closing parenthesis or full stop is not part of the URL. */
static const char *const en_url_match[] = {
    "([\\a\\d+.\\-]{2,}://)?(\\S+@)?(([\\a\\d]([\\a\\d_\\-]*[\\a\\d])?\\.)+"
    "\\l{2,63}|\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3})(:\\d{2,5})?"
    "([/?#]\\S*)?",
    NULL,
};

#define CASED NLP__SPECIAL_CASED
#define CURLY NLP__SPECIAL_CURLY
#define BARE NLP__SPECIAL_BARE

static const nlp__special_rule_t en_specials[] = {
    /* Contractions of pronouns and wh-words. */
    {"i you he she it we they who what when where why how there that",
     "'ll|'ll 've|'d|'d 've", CASED | CURLY | BARE},
    {"i", "'m|'m a", CASED | CURLY | BARE},
    {"i you we they who what when where why how there that could might must "
     "should would not",
     "'ve", CASED | CURLY | BARE},
    {"you we they who what when where why how there that", "'re",
     CASED | CURLY | BARE},
    {"he she it who what when where why how there that", "'s",
     CASED | CURLY | BARE},
    {"let", "'s", CASED | CURLY},
    /* Negated auxiliaries: "can't" -> "ca" "n't", "won't" -> "wo" "n't". */
    {"ca could do does did had may might must need sha should wo would ai "
     "are is was were have has dare",
     "n't|n't 've", CASED | CURLY | BARE},
    /* Fused forms. */
    {"can", "not", CASED},
    {"gon wan", "na", CASED},
    {"got out", "ta", CASED},
    {"y'", "all", CASED | CURLY},
    {"c'm", "on", CASED | CURLY},
    /* Abbreviations that keep their full stop. */
    {"Mr. Mrs. Ms. Dr. Prof. St. Jr. Sr. Inc. Corp. Co. co. Ltd. Bros. vs. "
     "v. e.g. E.g. i.e. I.e. etc. a.m. p.m. A.M. P.M. Adm. Gen. Gov. Rep. "
     "Reps. Sen. Rev. Messrs. Ph.D. Lt. Col. Capt. Sgt. Ft. Mt. No. no. Vol. "
     "Blvd. Ave. Attn. Sec. Dept. Est. approx. "
     "Jan. Feb. Mar. Apr. Jun. Jul. Aug. Sep. Sept. Oct. Nov. Dec. Mon. Tue. "
     "Tues. Wed. Thu. Thur. Thurs. Fri. Sat. Sun. "
     "Ala. Ariz. Ark. Calif. Colo. Conn. Del. Fla. Ga. Ill. Ind. Kan. Ky. La. "
     "Mass. Md. Mich. Minn. Miss. Mo. Mont. Neb. Nev. Okla. Ore. Pa. Tenn. "
     "Va. Wash. Wis. U.S. U.K. U.N. D.C. N.Y. L.A. U.S.A. P.S. o.k. O.K. "
     "Yahoo! w/o C++ c++",
     NULL, 0},
    /* Initials. */
    {"a. b. c. d. e. f. g. h. i. j. k. l. m. n. o. p. q. r. s. t. u. v. w. "
     "x. y. z. A. B. C. D. E. F. G. H. I. J. K. L. M. N. O. P. Q. R. S. T. "
     "U. V. W. X. Y. Z.",
     NULL, 0},
    /* Clitics and clipped words standing alone. */
    {"'s 'S 're 'd 've 'm n't 'll 'em 'nuff 'cause 'Cause 'cos 'cuz 'bout "
     "ma'am Ma'am o'clock O'clock",
     NULL, CURLY},
    /* Emoticons ("8)" is left out: it would split "(8)" as "(" "8)"). */
    {":) :-) :)) :-)) :))) :-))) (: (-: =) (= :] :-] [: [-: [= =] :o) (o: "
     ":} :-} 8-) ;) ;-) (; (-; :( :-( :(( :-(( :((( :-((( ): )-: =( "
     ">:( :') :'-) :'( :'-( :/ :-/ =/ =| :| :-| ]= =[ :1 :P :-P :p :-p :O "
     ":-O :o :-o :0 :-0 :() >:o :* :-* :3 :-3 =3 :> :-> :X :-X :x :-x :D "
     ":-D ;D ;-D =D xD XD xDD XDD 8D 8-D ^_^ ^__^ ^___^ >.< >.> <.< ._. ;_; "
     "-_- -__- v.v V.V v_v V_V o_o o_O O_o O_O 0_o o_0 0_0 o.O O.o O.O o.o "
     "0.0 o.0 0.o @_@ <3 <33 <333 </3 (^_^) (-_-) (._.) (>_<) (*_*) (¬_¬) "
     "ಠ_ಠ ಠ︵ಠ (ಠ_ಠ) ¯\\(ツ)/¯",
     NULL, 0},
    /* Clock times: "5pm" -> "5" "pm". */
    {"1 2 3 4 5 6 7 8 9 10 11 12", "a.m.|am|p.m.|pm|AM|PM", 0},
    {NULL, NULL, 0},
};

/* Chunks split only in context, as the treebank does: "its" and "your"
 * written for "it's" and "you're" ("its not", "your welcome") before words
 * that cannot follow the possessive, and the full stop of "etc." that also ends a sentence (at the
 * end of the text or before a capital). */
static const nlp__context_split_t en_context_splits[] = {
    {"its", 2,
     "(?i)(not|a|an|the|this|that|my|your|his|her|our|their|no|all|"
     "nothing|something|everything|really|very|so|too|just|also|only|still|"
     "now|always|never|actually|probably|prolly|definitely|simply|pretty|"
     "quite|like|about|almost|been|being|going|gonna|getting|got|in|on|at|"
     "for|from|to|with|between|because|here|there|ok|okay|what|how)(?!\\a)",
     0},
    {"your", 3,
     "(?i)(a|an|the|not|so|very|really|just|in|on|at|going|gonna|getting|"
     "being|welcome|kidding|joking)(?!\\a)",
     0},
    {"etc.", 3, "\\u", 1},
    {NULL, 0, NULL, 0},
};

/* Words that the variants above would wrongly split. */
static const char *const en_special_excludes[] = {
    "were", "ill", "well", "hell", "shell", "shed", "wed", "its", "id",
    "whore", "lets", "hows", "whos", "whens", "whys", "wheres", "hed",
    NULL,
};

/* Punctuation as it stands alone between spaces. */
static const char en_cache_seed[] =
    ". , ; : ! ? ( ) [ ] { } \" ' ` - -- ... & / $ % * # @ + = < > | ~ _ "
    "“ ” ‘ ’ – — … 's n't";

const nlp__tokenizer_rules_t nlp__en_tokenizer_rules = {
    .prefixes = en_prefixes,
    .suffixes = en_suffixes,
    .infixes = en_infixes,
    .token_match = en_token_match,
    .url_match = en_url_match,
    .specials = en_specials,
    .context_splits = en_context_splits,
    .split_final_abbreviation = 1,
    .special_excludes = en_special_excludes,
    .cache_seed = en_cache_seed,
};
