-- Issue 15's protocol (catch trials, response windows, the decay after
-- induction, touch answers). Catch trials are marked from the plan, so the
-- export and the catch accuracy need no plan lookup per row; a timed-out
-- trial keeps response 'timeout'.
ALTER TABLE trials
    ADD COLUMN catch              boolean NOT NULL DEFAULT false,
    -- Time from the end of the induction to the pattern's onset (post test).
    ADD COLUMN since_induction_ms double precision,
    -- How the answer was given: key, click or touch (NULL: not reported).
    ADD COLUMN input              text CHECK (input IN ('key', 'click', 'touch'));
