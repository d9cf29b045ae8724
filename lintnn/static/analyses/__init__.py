"""Facts about training code that several rules share: loss calls, train/eval modes,
data sets and loaders, training loops, train/test splits, what each class is."""
