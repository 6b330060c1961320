package experiments

// textsEN is the English catalogue: every key any language has, and the
// fallback for a key another catalogue lacks.
var textsEN = map[string]string{
	// The study page, before a session exists.
	"page.title":           "Vision study",
	"noscript.title":       "Please turn on JavaScript",
	"noscript.text":        "This study shows patterns with precise timing, which needs JavaScript. Please enable it, or open this link in another browser, and reload the page.",
	"loading":              "Loading the study…",
	"preview.bar":          "**Preview**: your answers are stored as a preview session, which the results and exports leave out.",
	"preview.skip":         "Skip ahead",
	"withdraw.button":      "Withdraw from the study",
	"withdraw.title":       "Withdraw from the study?",
	"withdraw.text":        "You stop here, and anything you have answered is deleted. This cannot be undone.",
	"withdraw.yes":         "Yes, withdraw",
	"withdraw.no":          "No, go back",
	"consent.title":        "Welcome to this vision study",
	"consent.lead.one":     "It takes about {n} minute. Please read the information below before you decide.",
	"consent.lead.other":   "It takes about {n} minutes. Please read the information below before you decide.",
	"notice.title":         "Good to know before you agree",
	"notice.text":          "Looking at the coloured patterns in this study can make black-and-white stripes look faintly coloured afterwards. This is harmless, but it **can last for hours or even days**.",
	"notice.undo_reversal": "At the end you will be offered a short exercise, the same patterns with the colours swapped, which undoes it.",
	"notice.undo":          "It fades by itself, faster if you look at ordinary black-and-white stripes. It can also be undone by looking at the same patterns with the colours swapped for a few minutes.",
	"consent.yes":          "I agree, continue",
	"consent.no":           "I do not want to take part",
	"consent.declined":     "Thank you for considering it. You can close this tab now. If you came from a recruitment site such as Prolific, please return the study there so that your place goes to someone else.",
	"check.title":          "A quick check of your screen",
	"check.text":           "The patterns must be shown at exact sizes and for exact times. When you press the button, this page switches to full screen and measures how often your screen refreshes. It takes about two seconds.",
	"check.tip_device":     "Please use a computer or a tablet, not a phone.",
	"check.tip_tab":        "Keep this tab in front, and close other programs if you can.",
	"check.tip_fullscreen": "If your browser asks whether to allow full screen, please allow it.",
	"check.start":          "Start the check",
	"welcome.title":        "Welcome back",
	"welcome.text":         "Your answers so far are saved. You can carry on where you left off.",
	"welcome.induction":    "The part with the coloured patterns was interrupted, so it will start again from the beginning.",
	"welcome.continue":     "Continue",
	"fatal.title":          "Sorry, something went wrong",
	"fatal.saved":          "Whatever you have answered so far is saved. If the problem continues, please reload the page or come back later.",
	"fatal.reload":         "Reload the page",
	"gone.title":           "This session has ended",
	"gone.withdrawn":       "You have withdrawn from this study (perhaps in another tab or window), and your answers were deleted. Nothing more is sent from this page.",
	"gone.deleted":         "This session no longer exists: the researchers have removed it, with your answers. Nothing more is sent from this page.",
	"gone.restart":         "Start again from the beginning",
	"contact.label":        "Questions about this study? Contact",
	"contact.none":         "If you have questions about this study, please send a message through the site where you found it (for example Prolific).",

	// Pages without a study.
	"unavailable.title":   "This study is not available",
	"unavailable.text":    "The link may be incomplete, or the study may have closed or be full.",
	"unavailable.return":  "If you came from a recruitment site such as Prolific, please go back there and return the study, or send the researchers a message. Thank you for your interest.",
	"unsupported.title":   "This browser can’t run the study",
	"unsupported.text":    "The study shows patterns with precise timing, which needs a recent browser. Please open the same link in a current version of Chrome, Edge, Firefox or Safari, on a computer or a tablet:",
	"unsupported.nothing": "Nothing has been recorded yet, so you can simply start again there.",

	// Durations, as the pages say them.
	"duration.seconds.one":   "{n} second",
	"duration.seconds.other": "{n} seconds",
	"duration.minutes.one":   "{n} minute",
	"duration.minutes.other": "{n} minutes",
	"duration.about":         "about {duration}",

	// The instructions step.
	"instructions.title":       "How it works",
	"instructions.parts.one":   "The study has {n} part:",
	"instructions.parts.other": "The study has {n} parts:",
	"instructions.induction":   "**Coloured patterns ({duration}).** Red and green striped patterns take turns on the screen. Just watch them, and follow the small cross with your eyes as it jumps around. Please stay on this page: if you switch away for more than a few seconds, this part starts again.",
	"instructions.test":        "**Colour judgements ({duration}).** Black-and-white striped patterns whose light stripes may be very slightly tinted.",
	"instructions.how":         "How to answer",
	"instructions.no_wrong":    "There are no right or wrong answers: go with your first impression, and if you are unsure, just guess.",
	"instructions.distance":    "Please sit at a comfortable distance, with the screen straight in front of you, and keep that distance throughout.",
	"instructions.ready":       "I’m ready",
	"help.adjustment":          "Each pattern stays on the screen while you change its colour with the `←` and `→` keys or the slider. Make the light stripes look neither reddish nor greenish, then press `Enter` or the **Done** button.",
	"help.choice":              "Each pattern appears briefly after a small cross. Then say whether its light stripes looked **reddish** (key `R` or `←`) or **greenish** (key `G` or `→`). You can also tap or click the buttons.",

	// A test block.
	"test.title":                 "Part {part} of {parts}: colour judgements",
	"test.count_staircase.one":   "Up to {n} pattern. Some will be hard to judge: that is expected.",
	"test.count_staircase.other": "Up to {n} patterns. Some will be hard to judge: that is expected.",
	"test.count.one":             "{n} pattern.",
	"test.count.other":           "{n} patterns.",
	"test.start":                 "Start",
	"test.preparing":             "Preparing the images…",
	"test.stage":                 "Striped pattern",
	"test.slider":                "Colour of the light stripes",
	"test.greener":               "greener",
	"test.redder":                "redder",
	"test.done":                  "Done",
	"test.reddish":               "Reddish",
	"test.greenish":              "Greenish",

	// An induction.
	"induction.title":          "Part {part} of {parts}: coloured patterns ({duration})",
	"induction.text":           "Red and green striped patterns will take turns on the screen. You don’t need to press anything.",
	"induction.title_reversal": "Undoing the effect ({duration})",
	"induction.text_reversal":  "The same patterns as before, with the colours swapped. This cancels the aftereffect.",
	"induction.tip_follow":     "Follow the small cross with your eyes as it jumps; don’t stare at one spot.",
	"induction.tip_stay":       "Please stay on this page. If you switch away for more than a few seconds, this part starts again.",
	"induction.stage":          "Alternating coloured patterns",
	"induction.time_left":      "Time left:",
	"induction.paused":         "Paused",
	"induction.continue":       "Continue",

	// The debrief and the end.
	"debrief.title":           "About this study",
	"debrief.reversal_title":  "Undo the effect now (optional, {duration})",
	"debrief.reversal_text":   "Watch the same patterns with the colours swapped; this cancels the aftereffect. You will get your completion code afterwards either way.",
	"debrief.reversal_button": "Undo the effect first",
	"debrief.finish":          "Finish and get my completion code",
	"finished.title":          "Thank you!",
	"finished.text":           "Your answers are saved and your session is complete. Your completion code is:",
	"finished.copy":           "Copy the code",
	"finished.redirect":       "Next, you go back to where you came from to confirm your participation.",
	"finished.redirect_link":  "Go back now",
	"finished.close":          "You can close this tab now.",
	"followup.title":          "A short follow-up test",
	"followup.ready":          "It is time for the follow-up: the same colour test as before, a few minutes long.",
	"followup.start":          "Start the follow-up test",
	"followup.later":          "Please come back on or after **{date}**: a few minutes of the same colour test, to measure how long the effect lasts. Open this page again in this browser, or keep your personal return link:",

	// The colour-vision screening.
	"screening.title":  "A quick colour check",
	"screening.text":   "This study is about faint reddish and greenish tints, so first a short check that your screen shows them and that you can see them. {count} times, you will see {patches} striped patches: one of them is slightly tinted, **reddish or greenish**, the others are grey.",
	"screening.how":    "Click or tap the tinted patch, or press its number (`1` to `{patches}`). If you can’t tell, just pick one.",
	"screening.prompt": "Which patch looks tinted (reddish or greenish)?",

	// A session that ended early.
	"ended.withdrawn.title":  "You have withdrawn from the study",
	"ended.withdrawn.text":   "Your answers and everything recorded during your session have been deleted. Thank you for your time.",
	"ended.withdrawn.return": "If you came from a recruitment site such as Prolific, please return the study there. To ask about this session, quote the reference below.",
	"ended.viewport.title":   "This study needs a larger screen",
	"ended.viewport.text":    "The patterns are shown at exact sizes, which needs a browser window of at least {width} × {height} pixels, and this window was smaller. The study stopped before any of its tests, so no test data was collected from you.",
	"ended.viewport.again":   "If you can make the window larger, or use a computer with a larger screen, you are welcome to start again.",
	"ended.touch.title":      "This study needs a computer",
	"ended.touch.text":       "It has to be done on a computer with a mouse or trackpad, not on a phone or a tablet. The study stopped before any of its tests, so no test data was collected from you.",
	"ended.touch.again":      "You are welcome to open the same link on a computer and start again there.",
	"ended.color.title":      "Thank you for your interest",
	"ended.color.text":       "This study needs full red–green colour vision: it measures how faint reddish and greenish tints look. Your answers to the colour check suggest that these tints are hard to tell apart for you, at least on this screen.",
	"ended.color.common":     "This is common: about 1 in 12 men (and 1 in 200 women) see reds and greens a little differently. Nothing is wrong, and you did nothing wrong; it only means that this study cannot measure what it is looking for with you. (A night mode or blue-light filter on the screen can have the same effect.)",
	"ended.no_data":          "The study stopped before any of its tests, so no test data was collected from you.",
	"ended.return":           "If you came from a recruitment site such as Prolific, please return the study there, or send a message quoting the reference below. Stopping here is expected in studies like this one and is not your fault. Thank you!",
	"ended.reference":        "Your session reference:",
	"ended.restart":          "Start again from the beginning",

	// The built-in consent and debrief (Markdown), when a definition has
	// none of its own.
	"consent_md": `## Consent

In this study you will look at striped patterns, some of them coloured, for a few minutes, and answer whether black-and-white patterns look slightly reddish or slightly greenish.

**Please note:** looking at the coloured patterns can make black-and-white stripes look faintly coloured afterwards (the McCollough effect). This is harmless, but it **can last for hours or days**, occasionally longer. {undo}

Participation is voluntary, you may stop at any time, and no personal information beyond your answers and basic screen properties is recorded.

By continuing you confirm that you are at least 18 years old, have normal or corrected-to-normal colour vision, and agree to take part.`,
	"consent_md.undo":          "It fades by itself, faster if you look at ordinary black-and-white stripes, and it can be undone by looking at the same patterns with the colours swapped.",
	"consent_md.undo_reversal": `At the end you will be offered a short "reversal" exercise, the same patterns with the colours swapped, which undoes it.`,
	"debrief_md": `## Thank you!

You have just experienced the **McCollough effect**: after minutes of coloured stripes of two kinds, black-and-white stripes of each kind look faintly tinted in the complementary colour. Your brain adapted to a correlation between colour and pattern: low-level perception is retrained all the time.

The effect **may last for days**. It fades faster if you look at black-and-white stripes, and it can be undone. {undo}`,
	"debrief_md.undo":          "If it bothers you, look at the same patterns with the colours swapped for a few minutes, which cancels it.",
	"debrief_md.undo_reversal": "The short **reversal** exercise offered below shows the same patterns with the colours swapped, which cancels it.",

	// The runner's messages (sent to the browser with the study page).
	"runner.offline":         "The connection to the server is lost; trying again. Your answers so far are kept on this device.",
	"runner.measuring":       "Measuring…",
	"runner.check_small":     "This study needs a browser window of at least {min_width} × {min_height} pixels, and yours is {width} × {height}. Please make the window larger (or allow full screen) and try again, or switch to a computer with a larger screen.",
	"runner.check_touch":     "This study needs a computer with a mouse or trackpad, not a phone or tablet. Please open the same link on a computer.",
	"runner.check_slow":      "Your screen refreshes {hz} times a second, but this study needs at least 50. If your device has a power-saving mode, please turn it off (or plug in a laptop), or use another device, and try again.",
	"runner.check_irregular": "The timing of your screen was irregular during the check. Please close other tabs and programs, keep this tab in front, and try again.",
	"runner.check_too_small": "The browser window is too small to show the patterns at their exact size. Please make the window larger (or allow full screen), and try again.",
	"runner.check_ok":        "All set.",
	"runner.try_again":       "Try again",
	"runner.starting":        "Starting your session…",
	"runner.study_closed":    "This study has just closed, so a new session cannot start. Thank you for your interest.",
	"runner.start_failed":    "The session could not start ({detail}). Please check the study link.",
	"runner.unexpected":      "An unexpected error stopped the study: {detail}",
	"runner.preview_gone":    "This preview has ended or was deleted. Start a new one from the experiment’s dashboard.",

	// The protocol: practice, catch trials, rests, the post test's countdown.
	"instructions.practice":             "It begins with a short **practice ({duration})**: clearly reddish or greenish patterns to get used to the task. Those answers do not count.",
	"practice.title":                    "Practice",
	"practice.count.one":                "{n} practice pattern, clearly reddish or greenish, to get used to the task.",
	"practice.count.other":              "{n} practice patterns, clearly reddish or greenish, to get used to the task.",
	"practice.feedback":                 "After each answer you will see whether it was right.",
	"practice.not_counted":              "These answers do not count.",
	"test.catch":                        "Now and then a pattern asks instead whether it looks reddish or greenish: answer with the buttons or the keys `R` and `G`.",
	"test.autostart":                    "This part starts by itself in",
	"rest.title":                        "A short rest",
	"rest.text":                         "Rest your eyes for a moment. The next patterns start by themselves in",
	"runner.check_small_fullscreen":     "This study needs a screen of at least {min_width} × {min_height} pixels, and yours shows {width} × {height} in full screen. Please switch to a computer with a larger screen.",
	"runner.check_too_small_fullscreen": "The screen is too small to show the patterns at their exact size, even in full screen. Please switch to a computer with a larger screen.",

	// The runner's messages inside a step (sent with the step's fragment,
	// not with the study page, which must stay small).
	"step.pattern_n":          "Pattern {n}",
	"step.progress":           "{k} of {n}",
	"step.patch":              "Patch",
	"step.prompt_choice":      "Did the light stripes look reddish or greenish?",
	"step.prompt_adjust":      "Change the colour until the light stripes look neither reddish nor greenish.",
	"step.restart_title":      "Starting again",
	"step.restart_text.one":   "You were away for {n} second, so this part starts again from the beginning.",
	"step.restart_text.other": "You were away for {n} seconds, so this part starts again from the beginning.",
	"step.paused_title":       "Paused",
	"step.paused_text.one":    "Press Continue to go on. After more than {n} second away, this part starts again from the beginning.",
	"step.paused_text.other":  "Press Continue to go on. After more than {n} seconds away, this part starts again from the beginning.",
	"step.already_done.one":   "{n} of them is already done.",
	"step.already_done.other": "{n} of them are already done.",
	"step.too_slow":           "Too slow: please answer within {seconds} s of the pattern.",
	"step.right_red":          "Right: those stripes were reddish.",
	"step.right_green":        "Right: those stripes were greenish.",
	"step.wrong_red":          "Not quite: those stripes were reddish.",
	"step.wrong_green":        "Not quite: those stripes were greenish.",
	"step.adjust_neutral":     "That is about neutral: well done.",
	"step.adjust_still_red":   "Those stripes were still a little reddish.",
	"step.adjust_still_green": "Those stripes were still a little greenish.",
	"step.seconds_left":       "{n} s",

	// The runner's messages once a session exists (sent with the session).
	"session.step_failed":      "The server could not prepare the next screen (error {status}).",
	"session.checking_screen":  "Checking your screen…",
	"session.next_failed":      "The next pattern could not be prepared (error {status}).",
	"session.screening_failed": "The colour check could not be scored (error {status}).",
	"session.checking_answers": "Checking your answers…",
	"session.saving":           "Saving your answers…",
	"session.complete_failed":  "The session could not be completed ({detail}).",
	"session.withdrawing":      "Withdrawing…",
	"session.withdraw_failed":  "Withdrawing failed (error {status}). Please try again.",
	"session.copied":           "Copied.",
	"session.copy_by_hand":     "Please copy the code by hand.",
	"session.ended":            "This session has ended. Thank you for taking part.",
}
