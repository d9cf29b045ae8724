"""NN101 through a keras model grown by ``model.add`` in a builder function, stored on a
``keras.Model`` subclass (a GAN), with the loss given to a custom compile method."""

from tests.helpers import assert_findings

_GAN = """
import tensorflow as tf

def build_discriminator(last_activation):
    model = tf.keras.Sequential()
    model.add(tf.keras.layers.Conv2D(32, 3, strides=2, padding="same"))
    model.add(tf.keras.layers.LeakyReLU(alpha=0.2))
    model.add(tf.keras.layers.GlobalMaxPooling2D())
    model.summary()
    model.add(tf.keras.layers.Dense(1{last}))
    return model

discriminator = build_discriminator("sigmoid")

class GAN(tf.keras.Model):
    def __init__(self, discriminator, latent_dim):
        super().__init__()
        self.discriminator = discriminator
        self.latent_dim = latent_dim

    def compile_models(self, d_optimizer, loss_fn):
        super().compile()
        self.d_optimizer = d_optimizer
        self.loss_fn = loss_fn

    def train_step(self, images):
        with tf.GradientTape() as tape:
            predictions = self.discriminator(images)
            d_loss = self.loss_fn(labels, predictions){expect}
        return {{"d_loss": d_loss}}

gan = GAN(discriminator=discriminator, latent_dim=128)
gan.compile_models(d_optimizer=tf.keras.optimizers.Adam(1e-4),
                   loss_fn=tf.keras.losses.BinaryCrossentropy(from_logits={logits}))
gan.fit(dataset, epochs=3)
"""


def test_gan_discriminator_from_a_builder_and_loss_from_a_custom_compile() -> None:
    assert_findings(_GAN.format(last=', activation="sigmoid"', logits="True",
                                expect="  # expect: NN101"), "NN101")


def test_gan_builder_ending_in_a_linear_layer_or_loss_without_logits() -> None:
    assert_findings(_GAN.format(last="", logits="True", expect=""), "NN101")
    assert_findings(_GAN.format(last=', activation="sigmoid"', logits="False", expect=""),
                    "NN101")


def test_builder_model_compiled_and_called() -> None:
    assert_findings("""
        from tensorflow import keras

        def build(classes):
            model = keras.Sequential([keras.layers.Flatten()])
            model.add(keras.layers.Dense(64, activation="relu"))
            model.add(keras.layers.Dense(classes, activation="softmax"))
            return model

        model = build(10)
        logits_loss = keras.losses.SparseCategoricalCrossentropy(
            from_logits=True)  # expect: NN101
        model.compile(optimizer="adam", loss=logits_loss)
        loss_fn = keras.losses.CategoricalCrossentropy(from_logits=True)
        loss = loss_fn(y, build(10)(x))  # expect: NN101
    """, "NN101")


def test_builder_models_whose_last_layer_is_not_certain() -> None:
    assert_findings("""
        from tensorflow import keras
        from heads import add_head

        def conditional(logits):
            model = keras.Sequential()
            model.add(keras.layers.Dense(10))
            if not logits:
                model.add(keras.layers.Activation("softmax"))
            return model

        def handed_on():
            model = keras.Sequential()
            model.add(keras.layers.Dense(10, activation="softmax"))
            add_head(model)  # may add a linear head
            return model

        def popped():
            model = keras.Sequential()
            model.add(keras.layers.Dense(10))
            model.add(keras.layers.Dense(10, activation="softmax"))
            model.pop()
            return model

        def in_a_loop(widths):
            model = keras.Sequential()
            for width in widths:
                model.add(keras.layers.Dense(width, activation="softmax"))
            model.add(keras.layers.Dense(10))
            return model

        def two_models(big):
            small = keras.Sequential([keras.layers.Dense(10, activation="softmax")])
            large = keras.Sequential([keras.layers.Dense(10)])
            if big:
                return large
            return small

        loss_fn = keras.losses.CategoricalCrossentropy(from_logits=True)
        for build in (conditional, handed_on, popped, in_a_loop, two_models):
            pass
        a = loss_fn(y, conditional(True)(x))
        b = loss_fn(y, handed_on()(x))
        c = loss_fn(y, popped()(x))
        d = loss_fn(y, in_a_loop([8])(x))
        e = loss_fn(y, two_models(True)(x))
    """, "NN101")


def test_module_model_grown_in_a_function_stays_unknown() -> None:
    assert_findings("""
        from tensorflow import keras

        model = keras.Sequential([keras.layers.Dense(10, activation="softmax")])

        def add_head():
            model.add(keras.layers.Dense(10))  # the module's model, grown

        add_head()
        model.compile(optimizer="adam",
                      loss=keras.losses.CategoricalCrossentropy(from_logits=True))
    """, "NN101")
